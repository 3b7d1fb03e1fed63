//! `settle sql` without a query: statements end with `;` and may span lines;
//! `\d` lists tables, `\d TABLE` describes one, `\timing` toggles timings,
//! `\q` quits. On a terminal it is a rustyline editor with history; with
//! piped input the same commands are read line by line, without prompts.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use datafusion::common::ScalarValue;
use datafusion::prelude::SessionContext;

use super::run::{self, Outcome, io};
use super::{Result, catalog};
use crate::output::Format;

const TABLES: &str = include_str!("../../queries/cli/tables.sql");
const DESCRIBE: &str = include_str!("../../queries/cli/describe.sql");

const HELP: &str = "\
  \\d            list tables and views (schemas raw, lake, reports)
  \\d TABLE      describe TABLE's columns (schema.table or a bare name)
  \\timing       toggle showing how long each statement took
  \\q            quit
  \\?            this help
SQL statements end with ';' and may span lines. Read-only: SELECT, WITH,
EXPLAIN and SHOW run; anything that would change the lake is refused.
";

/// Where lines come from.
pub trait Lines {
    /// The next line, or None at the end of input.
    fn read(&mut self, prompt: &str) -> Option<String>;
    /// Keeps a finished entry in the history.
    fn remember(&mut self, _entry: &str) {}
}

/// A terminal: rustyline with a history file.
pub struct Terminal {
    editor: rustyline::DefaultEditor,
    history: Option<PathBuf>,
}

impl Terminal {
    /// An editor with history in `$SETTLE_HISTORY` or `~/.settle_history`.
    pub fn new() -> Result<Self> {
        let mut editor = rustyline::DefaultEditor::new()
            .map_err(|e| super::Error::Usage(format!("starting the line editor: {e}")))?;
        let history = std::env::var_os("SETTLE_HISTORY")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".settle_history")));
        if let Some(h) = &history {
            // A first run has no history yet.
            let _ = editor.load_history(h);
        }
        Ok(Terminal { editor, history })
    }
}

impl Lines for Terminal {
    fn read(&mut self, prompt: &str) -> Option<String> {
        loop {
            match self.editor.readline(prompt) {
                Ok(line) => return Some(line),
                // Ctrl-C abandons the line, as in psql.
                Err(rustyline::error::ReadlineError::Interrupted) => continue,
                Err(_) => return None,
            }
        }
    }

    fn remember(&mut self, entry: &str) {
        let _ = self.editor.add_history_entry(entry);
        if let Some(h) = &self.history
            && let Err(e) = self.editor.save_history(h)
        {
            tracing::warn!(file = %h.display(), error = %e, "could not save the SQL history");
        }
    }
}

/// Piped input, line by line, no prompts.
pub struct Piped<R>(pub R);

impl<R: BufRead> Lines for Piped<R> {
    fn read(&mut self, _prompt: &str) -> Option<String> {
        let mut line = String::new();
        match self.0.read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
        }
    }
}

/// Reads and runs until `\q` or the end of input. Errors are printed to
/// stderr and the session goes on; the count of failed commands is returned.
pub async fn repl(
    ctx: &SessionContext,
    format: Format,
    out: &mut (dyn Write + Send),
    lines: &mut dyn Lines,
) -> Result<usize> {
    let mut buf = String::new();
    let mut timing = false;
    let mut failed = 0;
    loop {
        let prompt = if buf.is_empty() {
            "settle=> "
        } else {
            "settle-> "
        };
        let Some(line) = lines.read(prompt) else {
            break;
        };
        let trimmed = line.trim();
        if buf.is_empty() && trimmed.starts_with('\\') {
            lines.remember(trimmed);
            match meta(ctx, trimmed, format, out, &mut timing).await {
                Ok(Flow::Quit) => return Ok(failed),
                Ok(Flow::Go) => {}
                Err(e) => {
                    failed += 1;
                    eprintln!("ERROR: {e}");
                }
            }
            out.flush().map_err(io("the output"))?;
            continue;
        }
        if buf.is_empty() && trimmed.is_empty() {
            continue;
        }
        buf.push_str(&line);
        buf.push('\n');
        if trimmed.ends_with(';') {
            let sql = std::mem::take(&mut buf);
            lines.remember(sql.trim());
            failed += statements(ctx, &sql, format, out, timing).await?;
            out.flush().map_err(io("the output"))?;
        }
    }
    if !buf.trim().is_empty() {
        failed += statements(ctx, &buf, format, out, timing).await?;
    }
    Ok(failed)
}

/// Runs the statements of one entry; returns how many failed (printed).
async fn statements(
    ctx: &SessionContext,
    sql: &str,
    format: Format,
    out: &mut (dyn Write + Send),
    timing: bool,
) -> Result<usize> {
    let parsed = match run::split(sql) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("ERROR: {e}");
            return Ok(1);
        }
    };
    let mut failed = 0;
    for statement in parsed {
        match run::execute(ctx, statement).await {
            Ok(outcome) => {
                run::print(out, &outcome, format)?;
                if timing {
                    show_time(out, &outcome)?;
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("ERROR: {e}");
            }
        }
    }
    Ok(failed)
}

fn show_time(out: &mut (dyn Write + Send), outcome: &Outcome) -> Result<()> {
    writeln!(out, "Time: {:.3} ms", outcome.elapsed.as_secs_f64() * 1e3).map_err(io("the timing"))
}

enum Flow {
    Go,
    Quit,
}

async fn meta(
    ctx: &SessionContext,
    command: &str,
    format: Format,
    out: &mut (dyn Write + Send),
    timing: &mut bool,
) -> Result<Flow> {
    let mut words = command.split_whitespace();
    let name = words.next().unwrap_or_default();
    let arg = words.next();
    match (name, arg) {
        ("\\q", _) => return Ok(Flow::Quit),
        ("\\?", _) => write!(out, "{HELP}").map_err(io("the help"))?,
        ("\\timing", arg) => {
            *timing = match arg {
                Some("on") => true,
                Some("off") => false,
                _ => !*timing,
            };
            let state = if *timing { "on" } else { "off" };
            writeln!(out, "Timing is {state}.").map_err(io("the timing"))?;
        }
        ("\\d" | "\\dt", None) => {
            let outcome = query(ctx, TABLES, Vec::new()).await?;
            run::print(out, &outcome, format)?;
        }
        ("\\d", Some(table)) => {
            let (schema, name) = resolve(ctx, table).await?;
            let outcome = query(
                ctx,
                DESCRIBE,
                vec![
                    ScalarValue::from(schema.as_str()),
                    ScalarValue::from(name.as_str()),
                ],
            )
            .await?;
            writeln!(out, "{schema}.{name}").map_err(io("the description"))?;
            run::print(out, &outcome, format)?;
        }
        _ => {
            return Err(super::Error::Usage(format!(
                "invalid command {command}; try \\? for help"
            )));
        }
    }
    Ok(Flow::Go)
}

/// `schema.table`, or the first of reports, lake, raw holding `table`.
async fn resolve(ctx: &SessionContext, table: &str) -> Result<(String, String)> {
    let catalog = ctx
        .catalog(&ctx.state().config().options().catalog.default_catalog)
        .ok_or_else(|| super::Error::Usage("the session has no catalog".into()))?;
    let (schemas, name): (Vec<&str>, &str) = match table.split_once('.') {
        Some((s, n)) => (vec![s], n),
        None => (catalog::SCHEMAS.to_vec(), table),
    };
    for s in schemas {
        if catalog.schema(s).is_some_and(|p| p.table_exist(name)) {
            return Ok((s.to_string(), name.to_string()));
        }
    }
    Err(super::Error::Usage(format!(
        "no table {table}; \\d lists the tables"
    )))
}

async fn query(ctx: &SessionContext, sql: &str, params: Vec<ScalarValue>) -> Result<Outcome> {
    let started = std::time::Instant::now();
    let mut df = ctx.sql(sql).await?;
    if !params.is_empty() {
        df = df.with_param_values(params)?;
    }
    run::collect(df, started).await
}
