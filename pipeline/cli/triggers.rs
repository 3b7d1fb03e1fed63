//! `settle triggers run|list|check`.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use settle::bus::{Message, Meta};
use settle::config::Settings;
use settle::lake::Lake;
use settle::triggers::event::Event;
use settle::triggers::spec::{self, Trigger};
use settle::triggers::template::Scope;
use settle::triggers::when;

use super::args::TriggersCommand;

/// Runs one `settle triggers` command; returns what to print.
pub(crate) async fn command(
    command: TriggersCommand,
    settings: &Settings,
    open: impl Fn() -> Result<Lake>,
) -> Result<String> {
    match command {
        TriggersCommand::Run { group } => {
            let mut settings = settings.clone();
            if let Some(g) = group {
                settings.triggers.group_id = g;
            }
            let (runner, kafka) = settle::triggers::runner(&settings, open()?)?;
            let shutdown = tokio_util::sync::CancellationToken::new();
            super::daemons::cancel_on_signals(shutdown.clone());
            let s = runner.run(&kafka, shutdown).await?;
            Ok(format!(
                "{} events read, {} matched a trigger; actions: {} ok, {} failed, {} already done, {} skipped\n",
                s.events, s.matched, s.ok, s.failed, s.already_done, s.skipped
            ))
        }
        TriggersCommand::List => list(settings),
        TriggersCommand::Check { kind, store, file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let all = spec::load(settings.triggers.dir.as_deref())?;
            check(&all, kind, &store, &file.display().to_string(), &text)
        }
    }
}

fn list(settings: &Settings) -> Result<String> {
    let mut out = String::new();
    for t in spec::load(settings.triggers.dir.as_deref())? {
        let actions: Vec<String> = t
            .actions
            .iter()
            .map(|a| format!("{} ({})", a.name, a.kind))
            .collect();
        out.push_str(&format!(
            "{:<26} {:<8} on {} {}\n    {}\n    actions: {}\n",
            t.name,
            if t.enabled { "enabled" } else { "disabled" },
            t.on,
            if t.types.is_empty() {
                "(every type)".to_string()
            } else {
                t.types.join(", ")
            },
            t.description,
            actions.join(" → ")
        ));
    }
    Ok(out)
}

/// Which triggers the event in `text` fires, and each action's parameters rendered.
fn check(
    all: &[Trigger],
    kind: settle::events::Kind,
    store: &str,
    origin: &str,
    text: &str,
) -> Result<String> {
    let msg = Message {
        topic: origin.to_string(),
        partition: 0,
        offset: 0,
        key: String::new(),
        meta: Meta {
            kind,
            store_id: store.to_string(),
            origin: origin.to_string(),
            received_at: chrono::Utc::now().timestamp_micros(),
            refusal: None,
        },
        payload: bytes::Bytes::copy_from_slice(text.as_bytes()),
    };
    let ev = Event::of(&msg).map_err(|why| {
        anyhow::anyhow!("{origin} is not a usable {kind} event, so no trigger would run: {why}")
    })?;
    let mut out = format!(
        "event {} ({}), store {}\n",
        ev.id, ev.event_type, ev.store_id
    );
    let none = BTreeMap::new();
    let scope = Scope {
        event: &ev,
        trigger: "",
        outputs: &none,
        item: None,
    };
    for t in all {
        let verdict = if !t.watches(ev.kind, &ev.event_type) {
            "does not watch this type"
        } else if !when::holds(
            &t.when,
            &Scope {
                trigger: &t.name,
                ..scope
            },
        ) {
            "watches it, but [when] does not hold"
        } else if !t.enabled {
            "would fire, but is disabled"
        } else {
            "FIRES"
        };
        out.push_str(&format!("{:<26} {verdict}\n", t.name));
        if !verdict.starts_with("does not") && !verdict.starts_with("watches") {
            let scope = Scope {
                trigger: &t.name,
                ..scope
            };
            for a in &t.actions {
                out.push_str(&format!("  {} ({})\n", a.name, a.kind));
                render_params(&scope, &a.params, "    ", &mut out);
            }
        }
    }
    Ok(out)
}

fn render_params(scope: &Scope, params: &toml::Table, indent: &str, out: &mut String) {
    for (k, v) in params {
        match v {
            toml::Value::String(t) => {
                let shown = match scope.render(t) {
                    Ok(s) => format!("{s:?}"),
                    Err(_) if t.contains("$actions.") => {
                        format!("{t:?} (from an earlier action's result at run time)")
                    }
                    Err(e) => format!("ERROR {e}"),
                };
                out.push_str(&format!("{indent}{k} = {shown}\n"));
            }
            toml::Value::Table(inner) => {
                out.push_str(&format!("{indent}{k}:\n"));
                render_params(scope, inner, &format!("{indent}  "), out);
            }
            other => out.push_str(&format!("{indent}{k} = {other}\n")),
        }
    }
}
