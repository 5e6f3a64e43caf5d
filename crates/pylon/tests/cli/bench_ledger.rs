//! `pylon bench ledger` with tiny numbers: both phases run, every call succeeds and the
//! books balance. No timing is asserted; the figures live in docs/benchmarks.md.

use crate::Env;

#[tokio::test]
async fn bench_ledger_runs_both_phases_and_the_books_balance() {
    let env = Env::new().await;
    let r = env.json(&[
        "bench",
        "ledger",
        "--pairs",
        "40",
        "--concurrency",
        "4",
        "--wallets",
        "10",
        "--json",
    ]);

    assert_eq!(r["passed"], true, "{r}");
    assert_eq!(r["pairs"], 40);
    assert_eq!(r["concurrency"], 4);
    assert_eq!(r["analyzed"], true);
    let phases = r["phases"].as_array().unwrap();
    let names: Vec<&str> = phases
        .iter()
        .map(|p| p["phase"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["one", "many"]);
    assert_eq!(phases[0]["wallets"], 1);
    assert_eq!(phases[1]["wallets"], 10);
    for p in phases {
        assert_eq!(p["pairs"], 40, "{p}");
        assert_eq!(p["pairs_ok"], 40, "{p}");
        assert_eq!(p["errors"], 0, "{p}");
        assert!(p["first_error"].is_null(), "{p}");
        assert!(p["pairs_per_s"].as_f64().unwrap() > 0.0, "{p}");
        for call in ["hold", "capture"] {
            let l = &p[call];
            assert_eq!(l["count"], 40, "{call}: {l}");
            for k in ["p50_ms", "p99_ms", "max_ms"] {
                assert!(l[k].is_number(), "{call}.{k}: {l}");
            }
        }
        let c = &p["checks"];
        assert_eq!(c["passed"], true, "{c}");
        assert_eq!(c["wallet_mismatches"], 0, "{c}");
        assert_eq!(c["revenue_exact"], true, "{c}");
        assert_eq!(c["holds_agree"], true, "{c}");
        assert_eq!(c["entries_counted"], true, "{c}");
        assert_eq!(c["events_counted"], true, "{c}");
        assert_eq!(c["unbalanced_entries"], 0, "{c}");
        assert_eq!(c["balance_drift"], 0, "{c}");
        assert_eq!(c["total_fen"], 0, "{c}");
    }
}

#[tokio::test]
async fn bench_ledger_prints_a_table_for_one_phase() {
    let env = Env::new().await;
    let out = env.output(&[
        "bench",
        "ledger",
        "--pairs",
        "8",
        "--concurrency",
        "2",
        "--phase",
        "one",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("| phase | wallets |"), "{stdout}");
    assert!(stdout.contains("| one | 1 | 8 / 8 | 0 |"), "{stdout}");
    assert!(!stdout.contains("| many |"), "{stdout}");
    assert!(
        stdout.contains("every call succeeded and the books balance"),
        "{stdout}"
    );
}
