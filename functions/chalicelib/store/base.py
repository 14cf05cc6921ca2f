"""What every table module shares: naming, binding to settings, creation, errors.

All tables use the same key shape, `pk` (hash) and `sk` (range), both strings;
one table holds several item types, each its own PynamoDB model class sharing
`Meta.table_name`. Table names are bound at composition time (`bind_tables`),
never read at import time, so tests and the local stack can point them anywhere.
Exactly one model per table is marked `creates_table = True`; it declares the
table's indexes and TTL attribute, and `create_tables` builds from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, cast

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

_MODELS: list[type[TableModel]] = []
ItemT = TypeVar("ItemT", bound="TableModel")  # for an index class shared by item types


class TableModel(Model):
    """Base of every item model. Subclasses set `table` (a name from settings.TABLES)."""

    table: ClassVar[str] = ""
    creates_table: ClassVar[bool] = False
    ttl_attribute: ClassVar[str | None] = None

    class Meta:
        table_name = "unbound"
        region = "us-east-1"
        billing_mode = "PAY_PER_REQUEST"
        host: str | None  # declared only: PynamoDB sets its default, bind_tables the endpoint

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Python hands every subclass the same inherited `Meta` object; without a copy of
        # its own, binding one model's table name would rename every other table too.
        if "Meta" not in cls.__dict__:
            cls.Meta = type("Meta", (TableModel.Meta,), {})  # type: ignore[misc, assignment]
        super().__init_subclass__(**kwargs)
        if cls.table:
            _MODELS.append(cls)


class IndexedItem(TableModel):
    """Base of an item type found through its table's `gsi1` index: the index's key attributes.
    The subclass declares the index itself, typed with its own class (`gsi1: Gsi1[HoldItem] =
    Gsi1()`), so a query on it returns its items."""

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)


class TableItem(IndexedItem):
    """Base of the one item type per table that declares the table to `create_tables`: the keys
    (TableModel's), the gsi1 key attributes and the `ttl` attribute DynamoDB expires items by.
    The subclass names the table (`table = "users"`) and declares its typed `gsi1`."""

    creates_table: ClassVar[bool] = True
    ttl_attribute: ClassVar[str | None] = "ttl"

    ttl = NumberAttribute(null=True)


class Gsi1(GlobalSecondaryIndex[ItemT]):
    """Every table's one secondary index: `gsi1` on `gsi1pk` (hash) / `gsi1sk` (range), all
    attributes projected. One class serves every item type: PynamoDB binds its own copy of
    the index to each model class, so `HoldItem.hold_index` reads HoldItems."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


def string_list(*, default: Callable[[], list[str]] | None = None) -> ListAttribute[str]:
    """`ListAttribute(of=UnicodeAttribute)`, typed as the list of strings it reads and writes
    (PynamoDB's annotations make its items UnicodeAttribute objects)."""
    return cast("ListAttribute[str]", ListAttribute(of=UnicodeAttribute, default=default))


def load_table_modules() -> None:
    """Import every store module (`<domain>/store.py`, `<domain>/*_store.py`), so each model
    is registered before binding.

    Services import store modules lazily; without this a model first imported after
    `bind_tables` would still point at the "unbound" table."""
    import importlib
    import pkgutil

    root = importlib.import_module(__name__.split(".", 1)[0])
    for info in pkgutil.iter_modules(root.__path__):
        if not info.ispkg:
            continue
        package = importlib.import_module(f"{root.__name__}.{info.name}")
        for module in pkgutil.iter_modules(package.__path__):
            if module.name == "store" or module.name.endswith("_store"):
                importlib.import_module(f"{package.__name__}.{module.name}")


def all_models() -> list[type[TableModel]]:
    load_table_modules()
    return list(_MODELS)


def table_clients() -> list[Any]:
    """The distinct botocore clients behind the table models, for instrumentation through
    their events: bench/ counts calls and units, tests inject faults."""
    seen: dict[int, Any] = {}
    for model in all_models():
        client = model._get_connection().connection.client
        seen.setdefault(id(client), client)
    return list(seen.values())


def bind_tables(settings: Any) -> None:
    """Point every model at this deployment's tables (and the local endpoint, if any)."""
    load_table_modules()
    for model in _MODELS:
        if model.Meta is TableModel.Meta:
            # A model without its own Meta shares TableModel's; binding it would rename
            # every such model's table to the last one bound (audit items written to the
            # users table). Give it its own Meta, inheriting PynamoDB's defaults.
            model.Meta = type("Meta", (TableModel.Meta,), {})  # type: ignore[misc, assignment]
        model.Meta.table_name = settings.table_name(model.table)
        model.Meta.region = settings.aws_region
        model.Meta.host = settings.dynamodb_endpoint
        # PynamoDB caches a connection per class; drop it so the new binding is used.
        model._connection = None


def create_tables(wait: bool = False) -> list[str]:
    """Create every table that does not exist yet (local stack and tests)."""
    load_table_modules()
    created = []
    for model in _MODELS:
        if model.creates_table and not model.exists():
            model.create_table(wait=wait, billing_mode="PAY_PER_REQUEST")
            if model.ttl_attribute:
                model._get_connection().connection.client.update_time_to_live(
                    TableName=model.Meta.table_name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": model.ttl_attribute},
                )
            created.append(model.Meta.table_name)
    return created
