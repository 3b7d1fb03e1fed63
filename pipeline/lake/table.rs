//! How a lake table is declared: one Rust struct per table whose field types
//! give the Arrow schema, so the schema is written down exactly once.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, StringBuilder,
    TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// Microseconds since the Unix epoch, UTC; stored as `timestamp[us, UTC]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Micros(pub i64);

/// Days since the Unix epoch; stored as `date32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Days(pub i32);

/// Text that stays in the buffer it arrived in (an event body in a bus
/// message), checked to be UTF-8: it reaches Arrow with one copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body(bytes::Bytes);

impl Body {
    /// Checks that `b` is UTF-8 text.
    pub fn new(b: bytes::Bytes) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(&b)?;
        Ok(Body(b))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Checked in `new`; checking again costs a pass over the bytes, not a copy.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl serde::Serialize for Body {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Col for Body {
    fn data_type() -> DataType {
        DataType::Utf8
    }
    fn array<'a>(values: impl Iterator<Item = &'a Self> + Clone) -> ArrayRef {
        let bytes = values.clone().map(|v| v.0.len()).sum();
        utf8(bytes, values.map(Body::as_str))
    }
}

/// A text column of `values`, whose lengths add up to `bytes` (so the
/// value buffer is allocated once).
fn utf8<'a>(bytes: usize, values: impl Iterator<Item = &'a str>) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(values.size_hint().0, bytes);
    values.for_each(|v| b.append_value(v));
    Arc::new(b.finish())
}

/// A Rust field type that has one Arrow column type, and builds that column
/// straight from row fields (no serde round trip).
pub trait Col: Sized {
    /// The Arrow type of the column.
    fn data_type() -> DataType;
    /// Whether the column may hold nulls.
    const NULLABLE: bool = false;
    /// The column of `values`, in order.
    fn array<'a>(values: impl Iterator<Item = &'a Self> + Clone) -> ArrayRef
    where
        Self: 'a;
}

impl Col for String {
    fn data_type() -> DataType {
        DataType::Utf8
    }
    fn array<'a>(values: impl Iterator<Item = &'a Self> + Clone) -> ArrayRef {
        let bytes = values.clone().map(String::len).sum();
        utf8(bytes, values.map(String::as_str))
    }
}

impl Col for Option<String> {
    fn data_type() -> DataType {
        DataType::Utf8
    }
    const NULLABLE: bool = true;
    fn array<'a>(values: impl Iterator<Item = &'a Self> + Clone) -> ArrayRef {
        let (n, bytes) = values.clone().fold((0, 0), |(n, b), v| {
            (n + 1, b + v.as_ref().map_or(0, String::len))
        });
        let mut b = StringBuilder::with_capacity(n, bytes);
        values.for_each(|v| b.append_option(v.as_deref()));
        Arc::new(b.finish())
    }
}

/// Fixed-width columns: (Rust type, Arrow array, Arrow type, value to native).
macro_rules! primitive_col {
    ($t:ty, $array:ty, $dt:expr, |$v:ident| $native:expr) => {
        impl Col for $t {
            fn data_type() -> DataType {
                $dt
            }
            fn array<'a>(values: impl Iterator<Item = &'a Self> + Clone) -> ArrayRef {
                let a: $array = values.map(|$v| $native).collect::<Vec<_>>().into();
                Arc::new(a.with_data_type($dt))
            }
        }
        impl Col for Option<$t> {
            fn data_type() -> DataType {
                $dt
            }
            const NULLABLE: bool = true;
            fn array<'a>(values: impl Iterator<Item = &'a Self> + Clone) -> ArrayRef {
                let a: $array = values
                    .map(|o| o.as_ref().map(|$v| $native))
                    .collect::<Vec<_>>()
                    .into();
                Arc::new(a.with_data_type($dt))
            }
        }
    };
}

primitive_col!(i64, Int64Array, DataType::Int64, |v| *v);
primitive_col!(i32, Int32Array, DataType::Int32, |v| *v);
primitive_col!(f64, Float64Array, DataType::Float64, |v| *v);
primitive_col!(
    Micros,
    TimestampMicrosecondArray,
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
    |v| v.0
);
primitive_col!(Days, Date32Array, DataType::Date32, |v| v.0);

impl Col for bool {
    fn data_type() -> DataType {
        DataType::Boolean
    }
    fn array<'a>(values: impl Iterator<Item = &'a Self> + Clone) -> ArrayRef {
        Arc::new(values.map(|v| Some(*v)).collect::<BooleanArray>())
    }
}

/// A lake table: its name, columns and the time that picks its date partition.
pub trait Table: serde::Serialize + Send + Sync + 'static {
    /// Table name, also its folder in the lake.
    const NAME: &'static str;
    /// One line describing the table.
    const DOC: &'static str;
    /// Columns with their documentation.
    fn columns() -> Vec<(Field, &'static str)>;
    /// The time whose UTC date names the row's `date=` partition.
    fn partition_time(&self) -> Micros;
    /// One Arrow column per field, in schema order.
    fn arrays(rows: &[&Self]) -> Vec<ArrayRef>;
    /// The Arrow schema of the Parquet files (without the `date` partition column).
    fn schema() -> SchemaRef {
        Arc::new(Schema::new(
            Self::columns()
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>(),
        ))
    }
}

/// Declares a lake table row struct and its [`Table`] impl from one field list.
#[macro_export]
macro_rules! lake_table {
    (
        $(#[doc = $doc:literal])*
        pub struct $row:ident in $name:literal by $part:ident {
            $( $(#[doc = $fdoc:literal])* pub $f:ident : $t:ty ),* $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        pub struct $row {
            $( $(#[doc = $fdoc])* pub $f: $t, )*
        }
        impl $crate::lake::table::Table for $row {
            const NAME: &'static str = $name;
            const DOC: &'static str = concat!($($doc),*);
            fn columns() -> Vec<(datafusion::arrow::datatypes::Field, &'static str)> {
                use $crate::lake::table::Col;
                vec![$((
                    datafusion::arrow::datatypes::Field::new(
                        stringify!($f),
                        <$t as Col>::data_type(),
                        <$t as Col>::NULLABLE,
                    ),
                    concat!($($fdoc),*).trim_ascii(),
                )),*]
            }
            fn partition_time(&self) -> $crate::lake::table::Micros {
                self.$part
            }
            fn arrays(rows: &[&Self]) -> Vec<datafusion::arrow::array::ArrayRef> {
                use $crate::lake::table::Col;
                vec![$(<$t as Col>::array(rows.iter().map(|r| &r.$f))),*]
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::json::ReaderBuilder;
    use datafusion::arrow::record_batch::RecordBatch;

    use super::{Days, Micros, Table};
    use crate::lake::parquet_io::to_batch;

    crate::lake_table! {
        /// Every column kind a lake table uses.
        pub struct AllKinds in "all_kinds" by at {
            /// Text.
            pub text: String,
            /// Optional text.
            pub maybe_text: Option<String>,
            /// 64-bit.
            pub big: i64,
            /// Optional 64-bit.
            pub maybe_big: Option<i64>,
            /// 32-bit.
            pub small: i32,
            /// Flag.
            pub flag: bool,
            /// Timestamp.
            pub at: Micros,
            /// Optional timestamp.
            pub maybe_at: Option<Micros>,
            /// Date.
            pub day: Days,
        }
    }

    fn rows() -> Vec<AllKinds> {
        vec![
            AllKinds {
                text: "ünïcode ✓".into(),
                maybe_text: Some(String::new()),
                big: i64::MIN,
                maybe_big: Some(-1),
                small: i32::MAX,
                flag: true,
                at: Micros(1_700_000_000_123_456),
                maybe_at: Some(Micros(-5)),
                day: Days(19_000),
            },
            AllKinds {
                text: String::new(),
                maybe_text: None,
                big: 0,
                maybe_big: None,
                small: -7,
                flag: false,
                at: Micros(0),
                maybe_at: None,
                day: Days(-1),
            },
        ]
    }

    /// The direct column builders give exactly what Arrow's own serde
    /// decoder gives for the same rows (the path they replaced).
    #[test]
    fn columns_match_arrows_serde_decoder() {
        let rows = rows();
        let refs: Vec<&AllKinds> = rows.iter().collect();
        let direct = to_batch(&refs).unwrap();
        let mut decoder = ReaderBuilder::new(AllKinds::schema())
            .with_strict_mode(true)
            .build_decoder()
            .unwrap();
        decoder.serialize(&refs).unwrap();
        let via_serde: RecordBatch = decoder.flush().unwrap().unwrap();
        assert_eq!(direct, via_serde);
        assert_eq!(direct.schema(), AllKinds::schema());
        assert_eq!(direct.column(1).null_count(), 1);
        assert_eq!(direct.column(7).null_count(), 1);
    }

    #[test]
    fn no_rows_give_an_empty_batch_with_the_schema() {
        let direct = to_batch::<AllKinds>(&[]).unwrap();
        assert_eq!(direct.num_rows(), 0);
        assert_eq!(direct.schema(), AllKinds::schema());
    }
}
