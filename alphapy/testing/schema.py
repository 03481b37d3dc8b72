"""Check live tables against the schema reference, through ``pg_catalog``.

The project must serve ``shared/reference/database-schema.txt`` exactly: every column
with its type and nullability, every primary key, named index and unique constraint.
Comparing SQL text would prove nothing about what a migration really built, so this
module parses the reference and asks the catalog what exists. Additions (columns,
indexes, defaults, constraints) are allowed; anything missing or different is reported.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

REFERENCE_ENV = "ALPHAPY_SCHEMA_REFERENCE"

_TYPES = {
    "BIGINT": "bigint",
    "TEXT": "text",
    "JSONB": "jsonb",
    "TIMESTAMPTZ": "timestamp with time zone",
    "TIMESTAMP": "timestamp without time zone",
    "SERIAL": "integer",
    "BIGSERIAL": "bigint",
    "INTEGER": "integer",
    "BOOLEAN": "boolean",
    "TIME": "time without time zone",
    "TEXT[]": "text[]",
}


@dataclass
class ColumnSpec:
    name: str
    type: str
    not_null: bool
    serial: bool = False
    primary_key: bool = False
    default: str | None = None


@dataclass
class IndexSpec:
    name: str
    columns: list[str]  # "col" or "col DESC"
    unique: bool = False
    where: str | None = None


@dataclass
class TableSpec:
    name: str
    columns: dict[str, ColumnSpec] = field(default_factory=dict)
    primary_key: list[str] = field(default_factory=list)
    indexes: list[IndexSpec] = field(default_factory=list)
    unique_constraints: list[list[str]] = field(default_factory=list)


def default_reference_path() -> Path:
    """``ALPHAPY_SCHEMA_REFERENCE``, else ``shared/reference`` beside the checkout."""
    env = os.environ.get(REFERENCE_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "reference" / "database-schema.txt"


_COLUMN = re.compile(r"^\s*•\s*(\w+)\s*\(([^)]*(?:\([^)]*\))?[^)]*)\)")
_INDEX = re.compile(r"^\s*•\s*(\w+)\s*:?\s*(unique\s+)?on\s+(\([^)]*\)|\w+(?:\s+DESC)?)\s*(WHERE\s+(.+?))?\s*(\(enforces.*\))?$", re.IGNORECASE)
_KEY_LIST = re.compile(r"\(([^)]*)\)")


def parse_reference(path: Path | None = None) -> dict[str, TableSpec]:
    """Every table of the reference, by name."""
    text = (path or default_reference_path()).read_text(encoding="utf-8")
    text = text.split("Database Connection Architecture", 1)[0]
    lines = text.splitlines()
    tables: dict[str, TableSpec] = {}
    current: TableSpec | None = None
    section = ""
    for index, raw in enumerate(lines):
        line = raw.strip()
        if re.fullmatch(r"[a-z_]+", line) and _next_has_columns(lines, index):
            current = tables.setdefault(line, TableSpec(line))
            section = ""
            continue
        if current is None:
            continue
        if line.startswith("Columns:"):
            section = "columns"
        elif line.startswith("Indexes:"):
            section = "indexes"
        elif line.startswith("Primary Key:"):
            match = _KEY_LIST.search(line)
            if match:
                current.primary_key = [c.strip() for c in match.group(1).split(",")]
            section = ""
        elif line.startswith("Unique Constraint:"):
            match = _KEY_LIST.search(line)
            if match:
                current.unique_constraints.append([c.strip() for c in match.group(1).split(",")])
            section = ""
        elif line.startswith(("Notes:", "GDPR:")):
            section = ""
        elif section == "columns" and line.startswith("•"):
            current.columns.update([_parse_column(line)])
        elif section == "indexes" and line.startswith("•"):
            current.indexes.append(_parse_index(line))
    for table in tables.values():
        for column in table.columns.values():
            if column.primary_key and column.name not in table.primary_key:
                table.primary_key.append(column.name)
    return tables


def _next_has_columns(lines: list[str], index: int) -> bool:
    for line in lines[index + 1 : index + 6]:
        if line.strip().startswith("Columns:"):
            return True
    return False


def _parse_column(line: str) -> tuple[str, ColumnSpec]:
    match = _COLUMN.match(line)
    if not match:
        raise ValueError(f"cannot read column line: {line!r}")
    name, spec = match.group(1), match.group(2)
    parts = [p.strip() for p in spec.split(",")]
    head = parts[0].upper()
    primary = "PRIMARY KEY" in head
    type_name = head.replace("PRIMARY KEY", "").strip()
    flags = [p.upper() for p in parts[1:]]
    default = None
    for part in parts[1:]:
        if part.upper().startswith("DEFAULT"):
            default = part[len("DEFAULT"):].strip()
    return name, ColumnSpec(
        name=name,
        type=_TYPES[type_name],
        not_null="NOT NULL" in flags or primary,
        serial=type_name in ("SERIAL", "BIGSERIAL"),
        primary_key=primary,
        default=default,
    )


def _parse_index(line: str) -> IndexSpec:
    match = _INDEX.match(line)
    if not match:
        raise ValueError(f"cannot read index line: {line!r}")
    name, unique, cols, _, where = match.group(1), match.group(2), match.group(3), match.group(4), match.group(5)
    cols = cols.strip("()")
    columns = [" ".join(c.split()) for c in cols.split(",")]
    return IndexSpec(name, columns, unique=bool(unique), where=where.strip() if where else None)


# --- comparing with the catalog ---------------------------------------------------

_COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relname = %s AND n.nspname = current_schema() AND a.attnum > 0 AND NOT a.attisdropped
"""

_INDEXES_SQL = """
SELECT i.relname, ix.indisprimary, ix.indisunique, pg_get_expr(ix.indpred, ix.indrelid),
       ARRAY(
         SELECT pg_get_indexdef(ix.indexrelid, k + 1, true)
                || CASE WHEN ix.indoption[k] & 1 = 1 THEN ' DESC' ELSE '' END
         FROM generate_subscripts(ix.indkey, 1) AS k ORDER BY k
       )
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE t.relname = %s AND n.nspname = current_schema()
"""


def _normalise_predicate(text: str | None) -> str | None:
    if text is None:
        return None
    text = re.sub(r"::\w+( \w+)*", "", text)  # drop casts such as 'active'::text
    text = text.replace("(", "").replace(")", "")
    return " ".join(text.split()).lower()


def _unquote(column: str) -> str:
    """``"time"`` -> ``time``: the catalog quotes column names that are reserved words."""
    return re.sub(r'"((?:[^"]|"")+)"', lambda m: m[1].replace('""', '"'), column)


def compare_table(conn: object, spec: TableSpec) -> list[str]:
    """Differences between the live table and its reference (empty when it conforms)."""
    problems: list[str] = []
    cursor = conn.execute(_COLUMNS_SQL, (spec.name,))  # type: ignore[attr-defined]
    live = {row[0]: row[1:] for row in cursor.fetchall()}
    if not live:
        return [f"{spec.name}: table does not exist"]
    for column in spec.columns.values():
        if column.name not in live:
            problems.append(f"{spec.name}.{column.name}: missing column")
            continue
        type_name, not_null, default = live[column.name]
        if type_name != column.type:
            problems.append(f"{spec.name}.{column.name}: type {type_name}, reference says {column.type}")
        if bool(not_null) != column.not_null:
            want = "NOT NULL" if column.not_null else "nullable"
            problems.append(f"{spec.name}.{column.name}: must be {want}")
        if column.serial and not (default or "").startswith("nextval("):
            problems.append(f"{spec.name}.{column.name}: SERIAL column has no sequence default")
        if column.default and not column.serial:
            if not default or column.default.lower().rstrip("()") not in default.lower():
                problems.append(f"{spec.name}.{column.name}: default {default!r}, reference says {column.default}")
    indexes = {
        row[0]: (*row[1:4], [_unquote(c) for c in row[4]])
        for row in conn.execute(_INDEXES_SQL, (spec.name,)).fetchall()  # type: ignore[attr-defined]
    }
    if spec.primary_key:
        primary = [cols for (is_primary, _u, _w, cols) in indexes.values() if is_primary]
        if not primary or list(primary[0]) != spec.primary_key:
            problems.append(f"{spec.name}: primary key {primary[0] if primary else None}, reference says {spec.primary_key}")
    for index in spec.indexes:
        if index.name not in indexes:
            problems.append(f"{spec.name}: missing index {index.name}")
            continue
        _p, unique, where, columns = indexes[index.name]
        if list(columns) != index.columns:
            problems.append(f"{spec.name}: index {index.name} is on {list(columns)}, reference says {index.columns}")
        if index.unique and not unique:
            problems.append(f"{spec.name}: index {index.name} must be unique")
        if _normalise_predicate(where) != _normalise_predicate(index.where):
            problems.append(f"{spec.name}: index {index.name} predicate {where!r}, reference says {index.where!r}")
    for columns in spec.unique_constraints:
        if not any(unique and list(cols) == columns for (_p, unique, where, cols) in indexes.values() if where is None):
            problems.append(f"{spec.name}: no unique constraint on {columns}")
    return problems


def assert_tables_match_reference(url: str, tables: list[str], reference: Path | None = None) -> None:
    """Fail with every difference when any of ``tables`` departs from the reference."""
    import psycopg

    specs = parse_reference(reference)
    problems: list[str] = []
    with psycopg.connect(url) as conn:
        for table in tables:
            if table not in specs:
                problems.append(f"{table}: not in the schema reference")
                continue
            problems.extend(compare_table(conn, specs[table]))
    if problems:
        raise AssertionError("schema differs from the reference:\n  " + "\n  ".join(problems))
