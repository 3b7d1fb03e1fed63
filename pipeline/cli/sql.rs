//! `settle sql`: one-shot (-e, -f, a query) or the REPL.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use settle::lake::Lake;
use settle::output::Format;
use settle::sql::repl::{self, Piped, Terminal};
use settle::sql::settings::SqlSettings;

/// What `settle sql` was asked.
pub(crate) struct SqlArgs {
    pub query: Option<String>,
    pub execute: Option<String>,
    pub file: Option<PathBuf>,
    pub format: Format,
    pub output: Option<PathBuf>,
}

/// Runs `settle sql`; the exit code is 1 when a statement of a piped
/// session failed.
pub(crate) async fn sql_command(lake: &Lake, settings: &SqlSettings, args: SqlArgs) -> Result<i32> {
    if args.format == Format::Parquet && args.output.is_none() {
        bail!("--format parquet writes a binary file: add --output FILE");
    }
    let runtime = settle::sql::runtime(settings.memory_limit())?;
    let ctx = settle::sql::open(lake, Some(runtime), settings.query_timeout()).await?;
    let mut out: Box<dyn Write + Send> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("creating {}; check the folder exists", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let text = match (args.query, args.execute, args.file) {
        (Some(q), _, _) | (None, Some(q), _) => Some(q),
        (None, None, Some(f)) => {
            Some(std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?)
        }
        (None, None, None) => None,
    };
    let result = match text {
        Some(sql) => settle::sql::run::run_text(&ctx, &sql, args.format, out.as_mut())
            .await
            .map(|_| 0),
        None if std::io::stdin().is_terminal() => {
            eprintln!("settle sql: read-only SQL over the lake; \\? for help, \\q to quit");
            let mut lines = Terminal::new()?;
            repl::repl(&ctx, args.format, out.as_mut(), &mut lines)
                .await
                .map(|_| 0)
        }
        None => {
            let mut lines = Piped(std::io::stdin().lock());
            repl::repl(&ctx, args.format, out.as_mut(), &mut lines)
                .await
                .map(|failed| i32::from(failed > 0))
        }
    };
    let flushed = out.flush();
    match result {
        // The reader left (`settle sql ... | head`): not an error.
        Err(e) if broken_pipe(&e) => Ok(0),
        Err(e) => Err(e.into()),
        Ok(code) => match flushed {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(code),
            Err(e) => Err(e).context("writing the results"),
            Ok(()) => Ok(code),
        },
    }
}

fn broken_pipe(e: &settle::sql::Error) -> bool {
    use datafusion::arrow::error::ArrowError;
    match e {
        settle::sql::Error::Io { source, .. } => source.kind() == std::io::ErrorKind::BrokenPipe,
        settle::sql::Error::Arrow(ArrowError::IoError(_, source)) => {
            source.kind() == std::io::ErrorKind::BrokenPipe
        }
        settle::sql::Error::Arrow(other) => other.to_string().contains("Broken pipe"),
        _ => false,
    }
}
