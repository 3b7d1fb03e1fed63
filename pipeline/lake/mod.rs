//! The lake: Parquet tables in object storage, hive-partitioned by date,
//! named by the bus positions they hold so rewrites replace, never duplicate.

pub mod batch;
pub mod commit;
pub mod contracts;
pub mod ingest;
pub mod parquet_io;
pub mod rebuild;
pub mod table;
pub mod tables;
pub mod writer;

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::memory::InMemory;
use object_store::path::Path;
use url::Url;

/// Errors from the lake.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The lake URL could not be understood.
    #[error(
        "lake URL {url:?}: {why}; use a path, file:///abs/path, s3://bucket/prefix or memory://"
    )]
    BadUrl {
        /// The URL given.
        url: String,
        /// What was wrong.
        why: String,
    },
    /// Object storage failed.
    #[error("object storage: {0}")]
    Store(#[from] object_store::Error),
    /// Arrow conversion failed (a bug: rows should always fit their schema).
    #[error("arrow: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    /// Parquet encoding or decoding failed.
    #[error("parquet: {0}")]
    Parquet(#[from] datafusion::parquet::errors::ParquetError),
    /// The bus failed.
    #[error("bus: {0}")]
    Bus(#[from] crate::bus::Error),
    /// A commit record is unreadable.
    #[error("commit record {path}: {why}; delete it only if its files are gone too")]
    BadCommit {
        /// Object path.
        path: String,
        /// What was wrong.
        why: String,
    },
    /// Another writer committed the batch starting at `from` first.
    #[error(
        "another writer committed {topic}/{partition} from offset {from} first; \
         run one writer per partition (settle ingest uses a consumer group for that)"
    )]
    Fenced {
        /// Topic.
        topic: String,
        /// Partition.
        partition: i32,
        /// Chain position.
        from: i64,
    },
    /// Local I/O failed.
    #[error("{path}: {source}")]
    Io {
        /// Path involved.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Result alias for the lake.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A lake location: an object store, a root path inside it, and the URL
/// DataFusion uses to read it.
#[derive(Clone)]
pub struct Lake {
    /// The object store.
    pub store: Arc<dyn ObjectStore>,
    /// Root path of the lake inside the store.
    pub root: Path,
    /// Base URL of the lake, ending in `/`.
    pub url: Url,
    /// URL of the store itself (registered with DataFusion).
    pub store_url: Url,
}

impl std::fmt::Debug for Lake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lake({})", self.url)
    }
}

impl Lake {
    /// Opens a lake at `location`: a local path, `file://`, `s3://bucket/prefix`
    /// (configured by the usual `AWS_*` environment variables) or `memory://`.
    pub fn open(location: &str) -> Result<Lake> {
        Self::open_with(location, &[])
    }

    /// Like [`Lake::open`], with object-store options (e.g. `aws_endpoint`,
    /// `aws_allow_http`) that take precedence over the environment.
    pub fn open_with(location: &str, options: &[(&str, &str)]) -> Result<Lake> {
        let bad = |why: String| Error::BadUrl {
            url: location.to_string(),
            why,
        };
        if location.starts_with("memory://") {
            let url = Url::parse("memory:///").expect("static URL");
            return Ok(Lake {
                store: Arc::new(InMemory::new()),
                root: Path::default(),
                url: url.clone(),
                store_url: url,
            });
        }
        if location.starts_with("s3://") {
            let url = Url::parse(location).map_err(|e| bad(e.to_string()))?;
            let bucket = url
                .host_str()
                .ok_or_else(|| bad("no bucket".into()))?
                .to_string();
            let mut builder =
                object_store::aws::AmazonS3Builder::from_env().with_bucket_name(&bucket);
            for (k, v) in options {
                let key = k.parse::<object_store::aws::AmazonS3ConfigKey>()?;
                builder = builder.with_config(key, *v);
            }
            let store = builder.build()?;
            let root = Path::from(url.path().trim_matches('/'));
            let store_url =
                Url::parse(&format!("s3://{bucket}/")).map_err(|e| bad(e.to_string()))?;
            let base = match root.as_ref() {
                "" => format!("s3://{bucket}/"),
                r => format!("s3://{bucket}/{r}/"),
            };
            let url = Url::parse(&base).map_err(|e| bad(e.to_string()))?;
            return Ok(Lake {
                store: Arc::new(store),
                root,
                url,
                store_url,
            });
        }
        let path = location.strip_prefix("file://").unwrap_or(location);
        std::fs::create_dir_all(path).map_err(|source| Error::Io {
            path: path.to_string(),
            source,
        })?;
        let abs = std::fs::canonicalize(path).map_err(|source| Error::Io {
            path: path.to_string(),
            source,
        })?;
        let url =
            Url::from_directory_path(&abs).map_err(|()| bad("not an absolute directory".into()))?;
        let root = Path::from_filesystem_path(&abs).map_err(|e| bad(e.to_string()))?;
        Ok(Lake {
            store: Arc::new(object_store::local::LocalFileSystem::new()),
            root,
            url,
            store_url: Url::parse("file:///").expect("static URL"),
        })
    }

    /// The path of `rel` (slash-separated) under the lake root.
    pub fn path(&self, rel: &str) -> Path {
        let mut p = self.root.clone();
        for part in rel.split('/').filter(|s| !s.is_empty()) {
            p = p.join(part);
        }
        p
    }

    /// Every object under `rel` (slash-separated, relative to the lake root).
    pub async fn list(&self, rel: &str) -> Result<Vec<object_store::ObjectMeta>> {
        use futures::TryStreamExt;
        Ok(self.store.list(Some(&self.path(rel))).try_collect().await?)
    }

    /// The path of `p` relative to the lake root.
    pub fn relative(&self, p: &Path) -> String {
        let full = p.as_ref();
        match self.root.as_ref() {
            "" => full.to_string(),
            root => full
                .strip_prefix(root)
                .and_then(|rest| rest.strip_prefix('/'))
                .unwrap_or(full)
                .to_string(),
        }
    }

    /// The URL of a table folder, for DataFusion.
    pub fn table_url(&self, table: &str) -> String {
        format!("{}{table}/", self.url)
    }
}
