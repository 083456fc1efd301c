"""tools/dbt_lint.py: the macro size counts, overrides of dbt built-ins and dead macros."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dbt_lint():
    spec = importlib.util.spec_from_file_location("dbt_lint", ROOT / "tools" / "dbt_lint.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["dbt_lint"] = module
    spec.loader.exec_module(module)
    return module


def _fake_project(tmp_path: Path) -> Path:
    (tmp_path / "dbt_project.yml").write_text("name: fake\nconfig-version: 2\nprofile: fake\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "macros").mkdir()
    (tmp_path / "models" / "orders.sql").write_text("select {{ cents('amount') }} as amount from raw.orders\n")
    (tmp_path / "models" / "orders.yml").write_text(
        "version: 2\nmodels:\n  - name: orders\n    description: uses old_helper() in prose only\n"
        "    columns:\n      - name: amount\n        data_tests: [positive]\n")
    (tmp_path / "macros" / "helpers.sql").write_text(
        "{% macro cents(col) %}round({{ col }} * 100){% endmacro %}\n"
        "{#- old_helper() is mentioned here, never called -#}\n"
        "{% macro old_helper() %}1{% endmacro %}\n"
        "{% test positive(model, column_name) %}select * from {{ model }} where {{ column_name }} < 0{% endtest %}\n")
    (tmp_path / "macros" / "overrides.sql").write_text(
        "{% macro get_where_subquery(relation) %}{{ return(relation) }}{% endmacro %}\n"
        "{% macro default__test_unique(model, column_name) %}select 1 where false{% endmacro %}\n"
        "{% macro generate_schema_name(custom_schema_name, node) %}{{ custom_schema_name }}{% endmacro %}\n")
    return tmp_path


def test_a_fake_project_with_an_override_and_a_dead_macro_fails(dbt_lint, tmp_path, capsys):
    project = _fake_project(tmp_path)
    report = dbt_lint.lint(project)
    assert [o.split()[0] for o in report.overrides] == ["get_where_subquery", "default__test_unique"]
    assert [d.split()[0] for d in report.dead] == ["old_helper"]  # cents and the test are used
    assert len(report.macros) == 6 and report.size == []
    assert dbt_lint.main([str(project)]) == 1
    out = capsys.readouterr().out
    assert "dbt macros: 6" in out and "FAIL get_where_subquery" in out and "FAIL old_helper" in out
    assert "allowed override: generate_schema_name" in out


def test_the_size_limits_fail_above_the_thresholds(dbt_lint, tmp_path, monkeypatch):
    project = _fake_project(tmp_path)
    monkeypatch.setattr(dbt_lint, "MAX_MACROS", 5)
    monkeypatch.setattr(dbt_lint, "MAX_MACRO_LINES", 3)
    report = dbt_lint.lint(project)
    assert report.size == ["6 macros > 5", "7 lines of macro SQL > 3"]
    assert dbt_lint.lint(project, size_limits=False).size == []


def test_the_project_overrides_no_dbt_built_in_and_has_no_dead_macro(dbt_lint, capsys):
    """The counts are printed only here (their limits fail `make lint`)."""
    report = dbt_lint.lint(ROOT / "dbt_project", size_limits=False)
    assert report.overrides == []
    assert report.dead == []
    print(f"dbt macros: {len(report.macros)}, {report.lines} lines of macro SQL")
