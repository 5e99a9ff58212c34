//! The comparison as a table for people and as JSON for programs.

use std::fmt::Write;
use std::time::Duration;

use serde_json::{json, Value};

use crate::measurement::Measurement;
use timebank_workload::community_bank::{kind_name, TimeBankWorkload};

/// The target floors of the comparison, measured here and printed, never asserted.
struct Floor {
    what: &'static str,
    ratio: f64,
    min: f64,
    /// The batch size the floor is stated at, if any.
    at_batch: Option<usize>,
    /// What the ratio divides by.
    base: &'static str,
}

pub struct Comparison<'a> {
    pub workload: &'a TimeBankWorkload,
    pub systems: Vec<Measurement>,
    /// Systems that could not be run here, and why.
    pub not_run: Vec<(&'static str, String)>,
    pub quick: bool,
}

impl Comparison<'_> {
    fn find(&self, name: &str) -> Option<&Measurement> {
        self.systems.iter().find(|m| m.name == name)
    }

    fn rate(&self, name: &str) -> Option<f64> {
        self.find(name).map(Measurement::transfers_per_s)
    }

    fn floors(&self) -> Vec<Floor> {
        let mut floors = Vec::new();
        let sqlite = self.rate("SQLite");
        let raw = self.rate("raw append+fdatasync");
        for what in ["timebank-store", "timebank-store+index"] {
            let Some(rate) = self.rate(what) else {
                continue;
            };
            if let Some(sqlite) = sqlite {
                floors.push(Floor {
                    what,
                    base: "SQLite",
                    ratio: rate / sqlite,
                    min: 5.0,
                    at_batch: Some(1000),
                });
            }
            if let Some(raw) = raw {
                floors.push(Floor {
                    what,
                    base: "raw disk",
                    ratio: rate / raw,
                    min: 0.25,
                    at_batch: Some(8190),
                });
            }
        }
        if let (Some(core), Some(naive)) = (self.rate("ledger-core"), self.rate("naive HashMap")) {
            floors.push(Floor {
                what: "ledger-core",
                base: "naive HashMap",
                ratio: core / naive,
                min: 0.35,
                at_batch: None,
            });
        }
        floors
    }

    pub fn table(&self) -> String {
        let w = self.workload;
        let s = w.size;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Time-bank workload{}: {} members and {} funds in {} communities; {} events in {} batches of {} (seed {}); {} accepted by the rules",
            if self.quick { " (--quick)" } else { "" },
            s.members,
            s.communities,
            s.communities,
            w.transfers(),
            w.batches.len(),
            s.batch,
            s.seed,
            w.accepted
        );
        let mix: Vec<String> = w
            .mix
            .iter()
            .map(|(k, n)| format!("{} {n}", kind_name(*k)))
            .collect();
        let _ = writeln!(out, "Accepted events: {}", mix.join(", "));
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "| system | transfers/s | p50 batch | p99 batch | bytes/transfer | vs SQLite | vs raw disk |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
        let sqlite = self.rate("SQLite");
        let raw = self.rate("raw append+fdatasync");
        for m in &self.systems {
            let rate = m.transfers_per_s();
            let ratio =
                |base: Option<f64>| base.map_or("-".into(), |b| format!("{:.2}x", rate / b));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                m.name,
                thousands(rate),
                duration(m.batches.percentile(50.0)),
                duration(m.batches.percentile(99.0)),
                m.bytes_per_transfer()
                    .map_or("- (memory)".into(), |b| format!("{b:.1}")),
                ratio(sqlite),
                ratio(raw),
            );
        }
        for (name, why) in &self.not_run {
            let _ = writeln!(
                out,
                "| {name} | {}: not run: {why} | - | - | - | - | - |",
                name.to_lowercase()
            );
        }
        let _ = writeln!(out);
        for m in &self.systems {
            let _ = writeln!(out, "  {}: {}", m.name, m.about);
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "Target floors (measured, not asserted):");
        for f in self.floors() {
            let note = match f.at_batch {
                Some(b) if b != s.batch => {
                    format!(" (stated at batch {b}; this run used {})", s.batch)
                }
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "  {} / {}: {:.2} (floor {}): {}{note}",
                f.what,
                f.base,
                f.ratio,
                f.min,
                if f.ratio >= f.min { "met" } else { "MISSED" }
            );
        }
        out
    }

    pub fn json(&self) -> Value {
        let w = self.workload;
        let s = w.size;
        let sqlite = self.rate("SQLite");
        let raw = self.rate("raw append+fdatasync");
        let systems: Vec<Value> = self
            .systems
            .iter()
            .map(|m| {
                let rate = m.transfers_per_s();
                json!({
                    "name": m.name,
                    "about": m.about,
                    "transfers": m.transfers,
                    "accepted": m.accepted,
                    "seconds": m.elapsed.as_secs_f64(),
                    "transfers_per_s": rate,
                    "p50_batch_ms": ms(m.batches.percentile(50.0)),
                    "p99_batch_ms": ms(m.batches.percentile(99.0)),
                    "bytes_per_transfer": m.bytes_per_transfer(),
                    "ratio_to_sqlite": sqlite.map(|b| rate / b),
                    "ratio_to_raw": raw.map(|b| rate / b),
                })
            })
            .chain(
                self.not_run
                    .iter()
                    .map(|(name, why)| json!({"name": name, "not_run": why})),
            )
            .collect();
        let floors: Vec<Value> = self
            .floors()
            .iter()
            .map(|f| json!({"what": format!("{} / {}", f.what, f.base), "ratio": f.ratio, "floor": f.min, "met": f.ratio >= f.min, "stated_at_batch": f.at_batch}))
            .collect();
        json!({
            "workload": {
                "quick": self.quick,
                "communities": s.communities,
                "members": s.members,
                "transfers": w.transfers(),
                "batches": w.batches.len(),
                "batch": s.batch,
                "seed": s.seed,
                "accepted": w.accepted,
            },
            "systems": systems,
            "floors": floors,
        })
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.1} µs")
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}

/// 1234567.8 as "1,234,568".
fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
