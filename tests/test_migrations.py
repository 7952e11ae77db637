"""The migrations build exactly the schema the models describe, with stable names."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from extensions import db
from models.base import NAMING_CONVENTION

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
FRESH_PG_SCHEMA = "tabby_test_migrations"


def schema_diffs(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, db.metadata)


def test_there_is_one_head_and_the_database_is_at_it(app):
    heads = ScriptDirectory(str(MIGRATIONS)).get_heads()
    assert len(heads) == 1, f"migration history has branched: {heads}"
    with app.app_context(), db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == heads[0]


def test_the_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        diffs = schema_diffs(connection)
    assert diffs == [], "models and migrations differ; run `flask db migrate`:\n" + "\n".join(
        map(str, diffs)
    )


def test_the_comparison_would_see_a_model_the_migrations_lack(app):
    """Guards the test above: a difference does show up as a diff."""
    from sqlalchemy import Column, Integer, MetaData, Table

    extra = MetaData(naming_convention=NAMING_CONVENTION)
    for table in db.metadata.sorted_tables:
        table.to_metadata(extra)
    Table("not_migrated", extra, Column("id", Integer, primary_key=True))
    extra.tables["tabs"].append_column(Column("not_migrated_either", Integer))

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, extra)

    kinds = {
        (diff[0], getattr(diff[-1], "name", None)) for diff in diffs if isinstance(diff, tuple)
    }
    assert ("add_table", "not_migrated") in kinds
    assert ("add_column", "not_migrated_either") in kinds


# -- names ------------------------------------------------------------------------------


def test_tabs_constraints_are_named_by_the_convention(app):
    with app.app_context(), db.engine.connect() as connection:
        inspector = inspect(connection)
        uniques = {u["name"]: u["column_names"] for u in inspector.get_unique_constraints("tabs")}
        checks = {c["name"] for c in inspector.get_check_constraints("tabs")}
        pk = inspector.get_pk_constraint("tabs")["name"]
        fks = {fk["name"] for fk in inspector.get_foreign_keys("tabs")}
        indexes = {ix["name"] for ix in inspector.get_indexes("tabs")}

    assert uniques["uq_tabs_open_card_id"] == ["open_card_id"]
    assert uniques["uq_tabs_shop_id_open_phone_id"] == ["shop_id", "open_phone_id"]
    assert uniques["uq_tabs_public_id"] == ["public_id"]
    assert "ck_tabs_status" in checks
    assert pk == "pk_tabs"
    assert {
        "fk_tabs_shop_id_shops",
        "fk_tabs_card_id_token_cards",
        "fk_tabs_open_card_id_token_cards",
        "fk_tabs_opened_by_id_staff_members",
    } <= fks
    assert {"ix_tabs_card_id", "ix_tabs_phone_id", "ix_tabs_shop_id_status"} <= indexes


def test_the_line_and_payment_guards_exist_by_name(app):
    with app.app_context(), db.engine.connect() as connection:
        inspector = inspect(connection)
        line_checks = {c["name"] for c in inspector.get_check_constraints("tab_lines")}
        line_uniques = {u["name"] for u in inspector.get_unique_constraints("tab_lines")}
        payment_checks = {c["name"] for c in inspector.get_check_constraints("payments")}

    assert {
        "ck_tab_lines_status",
        "ck_tab_lines_quantity",
        "ck_tab_lines_unit_price_not_negative",
    } <= line_checks
    assert "uq_tab_lines_tab_id_request_key" in line_uniques
    assert {
        "ck_payments_method",
        "ck_payments_amount_not_negative",
        "ck_payments_tip_not_negative",
    } <= payment_checks


def test_every_constraint_in_the_database_follows_the_naming_convention(app):
    """No constraint was left to the database's own naming (which differs between
    SQLite and PostgreSQL and could not be dropped by name in a later migration)."""
    problems = []
    with app.app_context(), db.engine.connect() as connection:
        inspector = inspect(connection)
        for table in db.metadata.sorted_tables:
            name = table.name
            pk = inspector.get_pk_constraint(name)
            if pk["name"] != f"pk_{name}":
                problems.append(f"{name}: primary key {pk['name']!r}")
            for unique in inspector.get_unique_constraints(name):
                expected = f"uq_{name}_{'_'.join(unique['column_names'])}"
                if unique["name"] != expected:
                    problems.append(f"{name}: unique {unique['name']!r}, expected {expected!r}")
            for fk in inspector.get_foreign_keys(name):
                expected = f"fk_{name}_{fk['constrained_columns'][0]}_{fk['referred_table']}"
                if fk["name"] != expected:
                    problems.append(f"{name}: foreign key {fk['name']!r}, expected {expected!r}")
            for check in inspector.get_check_constraints(name):
                if not (check["name"] or "").startswith(f"ck_{name}_"):
                    problems.append(f"{name}: check {check['name']!r}")
            for index in inspector.get_indexes(name):
                if index.get("duplicates_constraint"):
                    continue  # PostgreSQL's index behind a unique constraint
                if not (index["name"] or "").startswith(f"ix_{name}_"):
                    problems.append(f"{name}: index {index['name']!r}")
    assert problems == []


# -- down and up again ------------------------------------------------------------------------


@pytest.fixture
def fresh_app(database, make_app, tmp_path):
    """An app on an empty database of the same kind as this run's."""
    url, options = database
    if url.startswith("sqlite"):
        yield make_app(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'fresh.db'}",
            SQLALCHEMY_ENGINE_OPTIONS={},
        )
        return
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {FRESH_PG_SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {FRESH_PG_SCHEMA}"))
    fresh = make_app(
        SQLALCHEMY_ENGINE_OPTIONS={
            **options,
            "connect_args": {"options": f"-c search_path={FRESH_PG_SCHEMA}"},
        }
    )
    yield fresh
    with fresh.app_context():
        db.engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {FRESH_PG_SCHEMA} CASCADE"))
    admin.dispose()


def test_migrations_go_down_to_nothing_and_up_again(fresh_app):
    from flask_migrate import downgrade, upgrade

    def tables():
        with db.engine.connect() as connection:
            return set(inspect(connection).get_table_names())

    models = {table.name for table in db.metadata.sorted_tables}
    with fresh_app.app_context():
        assert tables() == set()

        upgrade(directory=str(MIGRATIONS))
        assert tables() == models | {"alembic_version"}

        downgrade(directory=str(MIGRATIONS), revision="base")
        assert tables() == {"alembic_version"}

        upgrade(directory=str(MIGRATIONS))
        assert tables() == models | {"alembic_version"}
        with db.engine.connect() as connection:
            assert schema_diffs(connection) == []
