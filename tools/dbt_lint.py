"""Lint of the dbt project's macros: size, overrides of dbt built-ins, dead macros.

    .venv/bin/python tools/dbt_lint.py [PROJECT_DIR] [--no-size-limits]

1. Size: the number of macros (`{% macro %}`, `{% test %}`, `{% materialization %}` blocks)
   and the lines of the macro files; fails above MAX_MACROS / MAX_MACRO_LINES. Logic belongs
   in the model that owns it; a macro is for something three or more models share.
2. Overrides: a project macro whose name is one of dbt's own (the global project shipped with
   dbt-core/dbt-adapters and dbt-postgres), or the `default__`/`postgres__` implementation of
   one, replaces dbt's behaviour for every model and test without saying so at the call site.
   ALLOWED_OVERRIDES lists the ones dbt's documentation asks projects to write.
3. Dead macros: defined but reached from no model, test, analysis, snapshot, YAML file or
   dbt_project.yml, directly or through other macros.

Prints the counts; exits 1 with the reasons when a rule fails.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

MAX_MACROS = 30
MAX_MACRO_LINES = 900

# dbt calls these by name; its docs tell projects to define them
ALLOWED_OVERRIDES = {
    "generate_schema_name": "dbt's documented customisation for custom schemas: the project's "
    "schemas are used verbatim (staging, intermediate, marts), not prefixed with the target schema",
}

ADAPTER_PREFIXES = ("default__", "postgres__")
ROOT = Path(__file__).resolve().parent.parent

DEFINITION = re.compile(
    r"{%-?\s*(macro|test|materialization)\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(|,)?([^%]*)%}", re.S
)
END = re.compile(r"{%-?\s*end(macro|test|materialization)\s*-?%}")
JINJA_COMMENT = re.compile(r"{#.*?#}", re.S)
SQL_COMMENT = re.compile(r"--[^\n]*")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Macro:
    name: str  # the name dbt registers: `test_<name>` for a test, `materialization_<name>_<adapter>`
    kind: str
    path: Path
    body: str


@dataclass
class Report:
    macros: list[Macro]
    lines: int
    overrides: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    size: list[str] = field(default_factory=list)


def _definitions(text: str, path: Path) -> list[Macro]:
    found = []
    text = JINJA_COMMENT.sub("", text)
    for m in DEFINITION.finditer(text):
        kind, name, rest = m.group(1), m.group(2), m.group(3)
        if kind == "test":
            name = f"test_{name}"
        elif kind == "materialization":
            adapter = re.search(r"adapter\s*=\s*['\"](\w+)['\"]", rest)
            name = f"materialization_{name}_{adapter.group(1) if adapter else 'default'}"
        end = END.search(text, m.end())
        found.append(Macro(name, kind, path, text[m.end(): end.start() if end else len(text)]))
    return found


def builtin_macro_names() -> set[str]:
    """Every macro, test and materialization dbt ships (global project + dbt-postgres)."""
    import dbt.include.global_project as global_project
    import dbt.include.postgres as postgres

    names: set[str] = set()
    for package in (global_project, postgres):
        for path in Path(package.__file__).parent.rglob("*.sql"):
            names |= {m.name for m in _definitions(path.read_text(encoding="utf-8"), path)}
    return names


def _is_override(name: str, builtins: set[str]) -> bool:
    if name in builtins:
        return True
    for prefix in ADAPTER_PREFIXES:
        if name.startswith(prefix):
            base = name[len(prefix):]
            if base in builtins or any(p + base in builtins for p in ADAPTER_PREFIXES):
                return True
    return False


def _project_paths(project: Path) -> dict[str, list[str]]:
    config = yaml.safe_load((project / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    defaults = {"macro-paths": ["macros"], "model-paths": ["models"], "test-paths": ["tests"],
                "analysis-paths": ["analyses"], "snapshot-paths": ["snapshots"], "seed-paths": ["seeds"]}
    return {k: config.get(k) or v for k, v in defaults.items()}


def _strip_descriptions(node: object) -> object:
    """YAML without its `description:` texts (prose may name a macro without calling it)."""
    if isinstance(node, dict):
        return {k: _strip_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_strip_descriptions(v) for v in node]
    return node


def _root_texts(project: Path, paths: dict[str, list[str]]) -> list[str]:
    """Everything that is not a macro file: models, tests, analyses, snapshots, YAML."""
    texts = [str(_strip_descriptions(yaml.safe_load((project / "dbt_project.yml").read_text(encoding="utf-8"))))]
    for key in ("model-paths", "test-paths", "analysis-paths", "snapshot-paths", "seed-paths", "macro-paths"):
        for folder in paths[key]:
            base = project / folder
            if not base.is_dir():
                continue
            for path in sorted(base.rglob("*")):
                if path.suffix in (".yml", ".yaml"):
                    texts.append(str(_strip_descriptions(yaml.safe_load(path.read_text(encoding="utf-8")))))
                elif path.suffix == ".sql" and key != "macro-paths":
                    texts.append(SQL_COMMENT.sub("", JINJA_COMMENT.sub("", path.read_text(encoding="utf-8"))))
    return texts


def _words(text: str) -> set[str]:
    return set(WORD.findall(text))


def _called_names(words: set[str], names: set[str]) -> set[str]:
    """The project macros these words reach: direct names, `adapter.dispatch('x')` (its
    default__/postgres__ implementations), tests by their YAML name, materializations and
    incremental strategies by their config value."""
    hit = set()
    for name in names:
        base = name
        for prefix in ADAPTER_PREFIXES:
            if name.startswith(prefix):
                base = name[len(prefix):]
        if name in words or base in words or name.startswith("test_") and name[5:] in words or name.startswith("materialization_") and name.split("_")[1] in words or (m := re.fullmatch(r"get_incremental_(\w+)_sql", base)) and m.group(1) in words:
            hit.add(name)
    return hit


def lint(project: Path, *, size_limits: bool = True) -> Report:
    paths = _project_paths(project)
    macros: list[Macro] = []
    lines = 0
    for folder in paths["macro-paths"]:
        for path in sorted((project / folder).rglob("*.sql")):
            text = path.read_text(encoding="utf-8")
            lines += len(text.splitlines())
            macros += _definitions(text, path)
    report = Report(macros, lines)

    if size_limits and len(macros) > MAX_MACROS:
        report.size.append(f"{len(macros)} macros > {MAX_MACROS}")
    if size_limits and lines > MAX_MACRO_LINES:
        report.size.append(f"{lines} lines of macro SQL > {MAX_MACRO_LINES}")

    builtins = builtin_macro_names()
    for m in macros:
        if _is_override(m.name, builtins) and m.name not in ALLOWED_OVERRIDES:
            report.overrides.append(f"{m.name} ({m.path.relative_to(project)}) overrides dbt's built-in")

    # reachability: from the non-macro files, then through the bodies of reached macros;
    # dbt itself calls the overrides (reported above when not allowed)
    names = {m.name for m in macros}
    bodies = {m.name: _words(SQL_COMMENT.sub("", m.body)) for m in macros}
    live = {n for n in names if _is_override(n, builtins)}
    for text in _root_texts(project, paths):
        live |= _called_names(_words(text), names)
    frontier = set(live)
    while frontier:
        reached = set()
        for n in frontier:
            reached |= _called_names(bodies[n], names - live)
        frontier = reached - live
        live |= frontier
    report.dead = [f"{m.name} ({m.path.relative_to(project)}) is never called"
                   for m in macros if m.name not in live]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", nargs="?", default=str(ROOT / "dbt_project"))
    parser.add_argument("--no-size-limits", action="store_true", help="print the counts, do not fail on them")
    args = parser.parse_args(argv)
    project = Path(args.project).resolve()
    report = lint(project, size_limits=not args.no_size_limits)
    files = len({m.path for m in report.macros})
    print(f"dbt macros: {len(report.macros)} (limit {MAX_MACROS}) in {files} files, "
          f"{report.lines} lines of macro SQL (limit {MAX_MACRO_LINES})")
    problems = report.size + report.overrides + report.dead
    for p in problems:
        print(f"  FAIL {p}")
    for name, why in ALLOWED_OVERRIDES.items():
        print(f"  allowed override: {name} - {why}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
