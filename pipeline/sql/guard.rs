//! Read-only SQL: the lake changes only through the pipeline, so both SQL
//! endpoints (`settle sql` and the Postgres wire) refuse every statement that
//! would define, change or write anything, and say so clearly.

use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{Query, Set, SetExpr, Statement};

/// Why a statement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{what} is refused: Settle's SQL is read-only (the lake changes only through the \
     pipeline). Use SELECT, WITH, EXPLAIN or SHOW; to keep a result, use \
     `settle sql --output FILE` or an export job"
)]
pub struct Refused {
    /// The kind of statement, e.g. `CREATE TABLE`.
    pub what: String,
}

/// Session variables a client may set: they change only its own connection.
const CLIENT_VARIABLES: &[&str] = &[
    "statement_timeout",
    "datestyle",
    "bytea_output",
    "intervalstyle",
    "application_name",
    "extra_float_digits",
    "search_path",
    "client_encoding",
    "client_min_messages",
    "standard_conforming_strings",
    "lc_messages",
    "lc_monetary",
    "lc_numeric",
    "lc_time",
    "default_transaction_read_only",
    "transaction_isolation",
    "session characteristics",
];

/// Accepts reads (queries, EXPLAIN, SHOW, cursors, transaction bookkeeping,
/// client-only SET) and refuses the rest.
pub fn check(statement: &Statement) -> Result<(), Refused> {
    match statement {
        Statement::Query(q) => check_query(q),
        Statement::Explain { statement, .. } => check(statement),
        Statement::ExplainTable { .. }
        | Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowViews { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::ShowDatabases { .. }
        | Statement::ShowFunctions { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. }
        | Statement::Discard { .. }
        | Statement::Deallocate { .. } => Ok(()),
        Statement::Declare { stmts } => {
            for d in stmts {
                if let Some(q) = &d.for_query {
                    check_query(q)?;
                }
            }
            Ok(())
        }
        Statement::Set(set) => check_set(set),
        other => Err(Refused {
            what: keyword(other),
        }),
    }
}

/// The same for DataFusion's own statements (`CREATE EXTERNAL TABLE`, `COPY … TO`).
pub fn check_df(statement: &DfStatement) -> Result<(), Refused> {
    match statement {
        DfStatement::Statement(s) => check(s),
        DfStatement::Explain(e) => check_df(&e.statement),
        DfStatement::CreateExternalTable(_) => Err(Refused {
            what: "CREATE EXTERNAL TABLE".into(),
        }),
        DfStatement::CopyTo(_) => Err(Refused {
            what: "COPY".into(),
        }),
        DfStatement::Reset(_) => Err(Refused {
            what: "RESET (a server setting)".into(),
        }),
    }
}

fn check_query(q: &Query) -> Result<(), Refused> {
    if let SetExpr::Select(s) = q.body.as_ref()
        && s.into.is_some()
    {
        return Err(Refused {
            what: "SELECT … INTO".into(),
        });
    }
    Ok(())
}

fn check_set(set: &Set) -> Result<(), Refused> {
    match set {
        Set::SingleAssignment { variable, .. } => {
            let name = variable.to_string().to_lowercase();
            if CLIENT_VARIABLES.contains(&name.as_str()) {
                Ok(())
            } else {
                Err(Refused {
                    what: format!("SET {name} (a server setting)"),
                })
            }
        }
        Set::SetTimeZone { .. } | Set::SetNames { .. } | Set::SetNamesDefault {} => Ok(()),
        Set::SetTransaction { .. } => Ok(()),
        _ => Err(Refused {
            what: "this SET".into(),
        }),
    }
}

/// `CREATE TABLE`, `INSERT`, … from the statement's own text.
fn keyword(statement: &Statement) -> String {
    let text = statement.to_string();
    let words: Vec<String> = text
        .split_whitespace()
        .take(4)
        .map(str::to_ascii_uppercase)
        .collect();
    match words.first() {
        Some(w) if ["CREATE", "DROP", "ALTER"].contains(&w.as_str()) => {
            // CREATE [OR REPLACE] [TEMPORARY] TABLE …: the verb and the object.
            let modifiers = ["OR", "REPLACE", "TEMPORARY", "TEMP", "EXTERNAL", "UNIQUE"];
            match words
                .iter()
                .skip(1)
                .find(|o| !modifiers.contains(&o.as_str()))
            {
                Some(o) => format!("{w} {o}"),
                None => w.clone(),
            }
        }
        Some(w) => w.clone(),
        None => "this statement".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn verdict(sql: &str) -> Result<(), String> {
        let stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("parses");
        check(&stmts[0]).map_err(|r| r.what)
    }

    #[test]
    fn reads_pass_and_writes_are_refused_by_name() {
        for ok in [
            "SELECT 1",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "EXPLAIN SELECT 1",
            "SHOW statement_timeout",
            "BEGIN",
            "COMMIT",
            "SET statement_timeout = 1000",
            "SET extra_float_digits = 3",
            "SET TIME ZONE 'UTC'",
            "DECLARE c CURSOR FOR SELECT 1",
        ] {
            assert_eq!(verdict(ok), Ok(()), "{ok}");
        }
        for (sql, what) in [
            ("CREATE TABLE t (a INT)", "CREATE TABLE"),
            ("CREATE OR REPLACE VIEW v AS SELECT 1", "CREATE VIEW"),
            ("DROP TABLE reports.cod_reconciliation", "DROP TABLE"),
            ("INSERT INTO t VALUES (1)", "INSERT"),
            ("UPDATE t SET a = 1", "UPDATE"),
            ("DELETE FROM t", "DELETE"),
            ("COPY t TO '/tmp/x.csv'", "COPY"),
            ("TRUNCATE t", "TRUNCATE"),
            ("SELECT 1 INTO t", "SELECT … INTO"),
            ("EXPLAIN ANALYZE INSERT INTO t VALUES (1)", "INSERT"),
            (
                "SET datafusion.execution.batch_size = 1",
                "SET datafusion.execution.batch_size (a server setting)",
            ),
        ] {
            assert_eq!(verdict(sql), Err(what.to_string()), "{sql}");
        }
    }

    #[test]
    fn the_refusal_says_what_and_what_to_do() {
        let r = Refused {
            what: "DROP TABLE".into(),
        };
        let text = r.to_string();
        assert!(text.starts_with("DROP TABLE is refused"), "{text}");
        assert!(
            text.contains("read-only") && text.contains("SELECT"),
            "{text}"
        );
    }
}
