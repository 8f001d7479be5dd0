from pathlib import Path

from rag.eval.gate import check, load


def test_gate_bounds_and_missing_metrics() -> None:
    bounds = {"min": {"accuracy.accuracy": 0.8}, "max": {"refusal.false_refusal_rate": 0.2}}
    assert check({"accuracy.accuracy": 0.9, "refusal.false_refusal_rate": 0.1}, bounds) == []
    fails = check({"accuracy.accuracy": 0.7, "refusal.false_refusal_rate": 0.3}, bounds)
    assert len(fails) == 2 and "accuracy.accuracy = 0.700 < 0.8" in fails[0]
    assert check({}, bounds) == ["accuracy.accuracy missing", "refusal.false_refusal_rate missing"]


def test_thresholds_file_has_a_seeds_gate(tmp_path: Path) -> None:
    seeds = load("seeds")
    assert seeds and seeds["min"] and seeds["max"]
    assert load("rgb") is None
    f = tmp_path / "t.toml"
    f.write_text('[x.min]\n"a.b" = 1.0\n')
    assert load("x", f) == {"min": {"a.b": 1.0}}


def test_a_generating_backend_is_held_to_delivered_faithfulness_on_every_suite() -> None:
    for suite in ("seeds", "rgb", "news"):
        bounds = load(suite, backend="llamacpp")
        assert bounds == {"min": {"faithfulness.faithfulness": 0.98}}
    bounds = load("rgb", backend="openai")
    assert bounds is not None and check({"faithfulness.faithfulness": 0.97}, bounds)
