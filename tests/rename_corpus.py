"""The rename corpus: real column and table changes, each labelled.

``rename=True``: one column (or table) renamed; its values must move to the new name.
``rename=False``: an unrelated column dropped while another is added (both of one shape);
taking it for a rename moves values into the wrong column.

Renames come from real projects' migration histories (the ``source`` names the repository
and file) and from the change families seen there; the unrelated pairs are the naming pairs
that sit side by side in real schemas (first/last, billing/shipping, created/updated, ...).
``tests/test_rename_corpus.py`` runs every case through the real decision
(:func:`vertz_engine.plan.renames.judge`) and measures it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from vertz_engine.dialects import dialect_for
from vertz_engine.plan.diff import diff
from vertz_engine.plan.renames import Confidence
from vertz_engine.schema import build


@dataclass(frozen=True)
class Case:
    table: str  # "" for a table rename
    old: str
    new: str
    rename: bool
    family: str
    source: str = ""


def _c(table: str, old: str, new: str, family: str, source: str = "") -> Case:
    return Case(table, old, new, True, family, source)


def _t(old: str, new: str, family: str, source: str = "") -> Case:
    return Case("", old, new, True, family, source)


def _u(table: str, old: str, new: str, family: str = "naming pair") -> Case:
    return Case(table, old, new, False, family)


WCA = "thewca/worldcubeassociation.org WcaOnRails/db/migrate/20230531202042_rename_php_columns.rb"
QIITA = "qiita (public SQL patch, 2015-03-19: 'rename columns to be more descriptive')"

RENAMES: list[Case] = [
    # case and style
    _c(
        "users",
        "firstName",
        "first_name",
        "style",
        "pablodonalisio/Chat-API db/migrate/20210803165510_change_to_snake_case_in_users.rb",
    ),
    _c("users", "lastName", "last_name", "style", "same"),
    _c("Competitions", "cityName", "city_name", "style", WCA),
    _c("Competitions", "countryId", "country_id", "style", WCA),
    _c("Competitions", "venueAddress", "venue_address", "style", WCA),
    _c("Competitions", "venueDetails", "venue_details", "style", WCA),
    _c("Competitions", "cellName", "cell_name", "style", WCA),
    _c("Competitions", "showAtAll", "show_at_all", "style", WCA),
    _c(
        "todos",
        "createdAt",
        "created_at",
        "style",
        "vertz-dev/vertz examples/entity-todo/migrations/0001_fix-column-casing.sql",
    ),
    _c("todos", "updatedAt", "updated_at", "style", "same"),
    _c("ticket_product_lot", "numberNF", "number_nf", "style", "miguelgrinberg/Flask-Migrate#310"),
    _c(
        "products",
        "upccode",
        "upc_code",
        "style",
        "ssattu/Rails_TestProject db/migrate/20211222125239_create_products.rb",
    ),
    _c(
        "mail0_connection", "userId", "user_id", "style", "public SQL migration 'userId to user_id'"
    ),
    _c("users", "UserName", "user_name", "style"),
    _c("users", "Email", "email", "style"),
    _c("users", "username", "user_name", "style"),
    _c("accounts", "isActive", "is_active", "style"),
    _c("orders", "OrderDate", "order_date", "style"),
    _c("items", "sku_ID", "sku_id", "style"),
    _c("users", "phone1", "phone_1", "style"),
    _t("Competitions", "competitions", "style", WCA),
    _t("UserProfiles", "user_profiles", "style"),
    _t("orderitems", "order_items", "style"),
    # singular and plural
    _c(
        "std__patientrecord",
        "addresses_list",
        "address_list",
        "plural",
        "public Tortoise ORM migration (RENAME COLUMN addresses_list TO address_list)",
    ),
    _c("products", "categorys", "categories", "plural"),
    _c("posts", "tag", "tags", "plural"),
    _c("users", "role", "roles", "plural"),
    _c("orders", "items_count", "item_count", "plural"),
    _c("posts", "comments_enabled", "comment_enabled", "plural"),
    _t("todo", "todos", "plural"),
    _t("user", "users", "plural"),
    _t("category", "categories", "plural"),
    _t("person", "people", "plural"),
    _t("status", "statuses", "plural"),
    _t("order_item", "order_items", "plural"),
    _t("address", "addresses", "plural"),
    # abbreviations written out
    _c("todos", "descr", "description", "abbreviation"),
    _c("todos", "desc", "description", "abbreviation"),
    _c("orders", "usr_id", "user_id", "abbreviation"),
    _c("customers", "addr", "address", "abbreviation"),
    _c("customers", "addr_line1", "address_line1", "abbreviation"),
    _c("order_lines", "qty", "quantity", "abbreviation"),
    _c("users", "pwd", "password", "abbreviation"),
    _c("users", "passwd", "password", "abbreviation"),
    _c("notifications", "msg", "message", "abbreviation"),
    _c("payments", "amt", "amount", "abbreviation"),
    _c("places", "lat", "latitude", "abbreviation"),
    _c("places", "lng", "longitude", "abbreviation"),
    _c("places", "lon", "longitude", "abbreviation"),
    _c("users", "fname", "first_name", "abbreviation"),
    _c("users", "lname", "last_name", "abbreviation"),
    _c("invoices", "cust_id", "customer_id", "abbreviation"),
    _c("employees", "dept_id", "department_id", "abbreviation"),
    _c("links", "src_url", "source_url", "abbreviation"),
    _c("products", "img_url", "image_url", "abbreviation"),
    _c("products", "min_qty", "minimum_quantity", "abbreviation"),
    _c("users", "org_id", "organization_id", "abbreviation"),
    _c("contacts", "tel", "telephone", "abbreviation"),
    _c("contacts", "phone_no", "phone_number", "abbreviation"),
    _c("accounts", "acct_no", "account_number", "abbreviation"),
    _c(
        "users",
        "usr_pass",
        "password",
        "abbreviation",
        "trident4tech/radiokerala_api database/migrations/2020_07_23_082950_update_users_table.php",
    ),
    _c("products", "desc_text", "description", "abbreviation"),
    _t("usr", "users", "abbreviation"),
    _t("cust_orders", "customer_orders", "abbreviation"),
    # typo fixes
    _c(
        "restaurants",
        "adress",
        "address",
        "typo",
        "Alexorciste/rails-yelp-mvp db/migrate/20201118114512_modify_address_column.rb",
    ),
    _c("user", "addres", "address", "typo", "public TypeORM migration alterUserTable1656035849032"),
    _c("users", "addresss", "address", "typo", "public TypeORM migration Migration1743590119815"),
    _c("Customer", "Addess", "Address", "typo", "public EF Core migration FixFieldNameTypo"),
    _c(
        "invitations",
        "adressee_id",
        "addressee_id",
        "typo",
        "public Alembic revision 6d339f52f632 'fix typo invitations.adressee_id'",
    ),
    _c("messages", "recieved_at", "received_at", "typo"),
    _c("items", "lenght", "length", "typo"),
    _c("products", "catagory", "category", "typo"),
    _c("todos", "desription", "description", "typo"),
    _c("orders", "quantitiy", "quantity", "typo"),
    _c("events", "occured_at", "occurred_at", "typo"),
    _c("users", "adress_line2", "address_line2", "typo"),
    _t("adresses", "addresses", "typo"),
    _t("catagories", "categories", "typo"),
    # a prefix or suffix added or removed
    _c("todos", "title", "todo_title", "affix"),
    _c("todos", "todo_title", "title", "affix"),
    _c(
        "properties",
        "property_address",
        "address",
        "affix",
        "public SQL migration 'fix address column name mismatch'",
    ),
    _c("investigation", "description", "investigation_description", "affix", QIITA),
    _c("investigation", "name", "investigation_name", "affix", QIITA),
    _c("processed_data_status", "description", "processed_data_status_description", "affix", QIITA),
    _c("portal_type", "description", "portal_description", "affix", QIITA),
    _c(
        "users",
        "email",
        "email_address",
        "affix",
        "jfergm/rails-schedule db/migrate/20250304224426_rename_email_to_email_address.rb",
    ),
    _c(
        "addresses",
        "address",
        "street_address",
        "affix",
        "dhakad-rakesh/testing-webhooks db/migrate/20200501071203_rename_address_to_street_address.rb",
    ),
    _c(
        "address",
        "street_address",
        "street",
        "affix",
        "public TypeORM migration UpdatedAddresstable1748802728933",
    ),
    _c(
        "orders",
        "address_one",
        "address_line1",
        "affix",
        "weltverbessern/crowdfunding db/migrate/20130811210951_fix_column_name.rb",
    ),
    _c("orders", "address_two", "address_line2", "affix", "same"),
    _c(
        "usr_user",
        "usr_password",
        "password",
        "affix",
        "eliezer-chaves/tha-wallet database/migrations/2025_07_23_174106_rename_usr_password_to_password.php",
    ),
    _c("things", "some", "some_key", "affix", "miguelgrinberg/Flask-Migrate#563"),
    _c("users", "active", "is_active", "affix"),
    _c("posts", "published", "is_published", "affix"),
    _c("sessions", "expires", "expires_at", "affix"),
    _c("posts", "created", "created_at", "affix"),
    _c("contacts", "phone", "phone_number", "affix"),
    _c("users", "name", "full_name", "affix"),
    _c("orders", "total", "total_amount", "affix"),
    _c("orders", "user", "user_id", "affix"),
    _c("users", "zip", "zip_code", "affix"),
    _t("tbl_orders", "orders", "affix"),
    _t("tbl_user", "users", "affix"),
    _t("app_settings", "settings", "affix"),
    _t("todos", "todo_items", "affix"),
    # renames the names give no hint of (only an explicit --rename or a question finds them)
    _c("Person", "active", "may_contact", "semantic", "carpentries/amy#161"),
    _c(
        "quote_items",
        "description",
        "product_name",
        "semantic",
        "public SQL migration 'rename description to product_name'",
    ),
    _c(
        "users",
        "name",
        "username",
        "semantic",
        "penach0/re-former db/migrate/20230320112222_rename_name_column.rb",
    ),
    _c(
        "products",
        "count",
        "quantity",
        "semantic",
        "lrpinto/text-wrangler src/main/resources/transformations.dsl",
    ),
    _t("tags", "labels", "semantic"),
]

UNRELATED: list[Case] = [
    _u("users", "first_name", "last_name"),
    _u("users", "firstName", "lastName"),
    _u("users", "fname", "lname"),
    _u("users", "given_name", "family_name"),
    _u("orders", "billing_address", "shipping_address"),
    _u("orders", "billing_city", "shipping_city"),
    _u("orders", "billing_zip", "shipping_zip"),
    _u("orders", "bill_to", "ship_to"),
    _u("posts", "created_at", "updated_at"),
    _u("posts", "created_at", "deleted_at"),
    _u("posts", "updated_at", "published_at"),
    _u("posts", "createdAt", "updatedAt"),
    _u("posts", "created_by", "updated_by"),
    _u("products", "min_price", "max_price"),
    _u("products", "minPrice", "maxPrice"),
    _u("products", "min_qty", "max_qty"),
    _u("products", "minimum_age", "maximum_age"),
    _u("events", "start_date", "end_date"),
    _u("events", "start_time", "end_time"),
    _u("events", "starts_at", "ends_at"),
    _u("events", "start", "end"),
    _u("events", "begin_at", "end_at"),
    _u("audit", "old_value", "new_value"),
    _u("audit", "old_status", "new_status"),
    _u("audit", "before", "after"),
    _u("audit", "before_value", "after_value"),
    _u("transfers", "from_account_id", "to_account_id"),
    _u("transfers", "from_date", "to_date"),
    _u("transfers", "from", "to"),
    _u("flows", "src_ip", "dst_ip"),
    _u("flows", "src_port", "dst_port"),
    _u("flows", "source_id", "target_id"),
    _u("messages", "sender_id", "recipient_id"),
    _u("messages", "sender_email", "receiver_email"),
    _u("jobs", "input_path", "output_path"),
    _u("jobs", "input_tokens", "output_tokens"),
    _u("jobs", "input", "output"),
    _u("images", "width", "height"),
    _u("images", "max_width", "max_height"),
    _u("places", "lat", "lng"),
    _u("places", "latitude", "longitude"),
    _u("candles", "open", "close"),
    _u("candles", "open_price", "close_price"),
    _u("candles", "high", "low"),
    _u("tickets", "opened_at", "closed_at"),
    _u("ledger", "debit", "credit"),
    _u("ledger", "debit_amount", "credit_amount"),
    _u("contacts", "home_phone", "work_phone"),
    _u("contacts", "mobile_phone", "home_phone"),
    _u("contacts", "phone1", "phone2"),
    _u("contacts", "phone_1", "phone_2"),
    _u("contacts", "personal_email", "work_email"),
    _u("addresses", "address_line1", "address_line2"),
    _u("addresses", "line1", "line2"),
    _u("points", "x", "y"),
    _u("points", "x1", "x2"),
    _u("users", "first_seen_at", "last_seen_at"),
    _u("users", "first_login", "last_login"),
    _u("users", "last_login_at", "last_seen_at"),
    _u("nodes", "prev_id", "next_id"),
    _u("nodes", "parent_id", "child_id"),
    _u("trades", "buyer_id", "seller_id"),
    _u("articles", "author_id", "editor_id"),
    _u("matches", "home_team_id", "away_team_id"),
    _u("matches", "home_score", "away_score"),
    _u("games", "player1_id", "player2_id"),
    _u("orders", "subtotal", "total"),
    _u("orders", "net_amount", "gross_amount"),
    _u("orders", "tax_amount", "discount_amount"),
    _u("ranges", "lower_bound", "upper_bound"),
    _u("layout", "left", "right"),
    _u("layout", "top", "bottom"),
    _u("layout", "margin_top", "margin_bottom"),
    _u("users", "is_active", "is_deleted"),
    _u("users", "is_admin", "is_staff"),
    _u("posts", "is_public", "is_private"),
    _u("orders", "has_paid", "has_shipped"),
    _u("orders", "paid", "has_paid"),
    _u("calls", "inbound", "outbound"),
    _u("files", "upload_count", "download_count"),
    _u("posts", "likes_count", "dislikes_count"),
    _u("posts", "upvotes", "downvotes"),
    _u("teams", "wins", "losses"),
    _u("people", "height_cm", "height_in"),
    _u("parcels", "weight_kg", "weight_lb"),
    _u("readings", "temperature_c", "temperature_f"),
    _u("products", "price_usd", "price_eur"),
    _u("shifts", "day_rate", "night_rate"),
    _u("posts", "title", "subtitle"),
    _u("users", "name", "nickname"),
    _u("users", "email", "backup_email"),
    _u("users", "name", "first_name"),
    _u("posts", "summary", "description"),
    _u("posts", "body", "excerpt"),
    _u("orders", "order", "order_id"),
    _u("orders", "position", "priority"),
    _u("items", "children", "has_children"),
    _u("items", "form", "from"),
    _u("trials", "trial", "trail"),
    _u("users", "marital_status", "martial_status"),
    _u("menus", "diner", "dinner"),
    _u("pets", "cat_name", "category_name"),
    _u("clinic", "doc_id", "doctor_id"),
    _u("pages", "data", "date"),
    _u("files", "mode", "node"),
    _u("users", "user_name", "user_role"),
    _u("shipments", "origin", "destination"),
    _u("shipments", "pickup_at", "delivered_at"),
    _u("bookings", "check_in", "check_out"),
    _u("bookings", "arrival_date", "departure_date"),
    _u("accounts", "balance", "credit_limit"),
    _u("products", "cost_price", "sale_price"),
    _u("products", "list_price", "sale_price"),
    _u("reviews", "pros", "cons"),
    _u("votes", "yes_count", "no_count"),
    _u("polls", "option_a", "option_b"),
    Case("", "billing_addresses", "shipping_addresses", False, "naming pair"),
    Case("", "users", "admins", False, "naming pair"),
    Case("", "followers", "following", False, "naming pair"),
    Case("", "incoming_messages", "outgoing_messages", False, "naming pair"),
    Case("", "draft_posts", "published_posts", False, "naming pair"),
    Case("", "order_items", "cart_items", False, "naming pair"),
]

CASES = RENAMES + UNRELATED


def decision(case: Case, dialect: str = "sqlite") -> tuple[Confidence, bool]:
    """The real decision for ``case``: the confidence of the one rename candidate the diff
    finds between the two schemas, and whether the diff takes it as a rename with no one to
    ask (what boot, ``push`` and ``migrate dev`` without a terminal do)."""
    before, after = sa.MetaData(), sa.MetaData()
    if case.table:
        for md, name in ((before, case.old), (after, case.new)):
            sa.Table(
                case.table,
                md,
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column(name, sa.String(80)),
                sa.Column("kept", sa.Integer),
            )
    else:
        for md, name in ((before, case.old), (after, case.new)):
            sa.Table(
                name, md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("x", sa.Text)
            )
    d = dialect_for(dialect)
    plan = diff(build.from_metadata(before, d), build.from_metadata(after, d))
    [(candidate, taken)] = plan.renames
    return candidate.confidence, taken


@dataclass(frozen=True)
class Measure:
    renames: int
    unrelated: int
    wrong_alone: list[Case]  # unrelated pairs taken as a rename with no question
    sure: int  # real renames taken alone
    asked: int  # real renames asked about (unsure): default no
    missed: list[Case]  # real renames not even asked about

    @property
    def precision_alone(self) -> float:
        acted = self.sure + len(self.wrong_alone)
        return self.sure / acted if acted else 1.0

    @property
    def recall_alone(self) -> float:
        return self.sure / self.renames

    @property
    def recall_asked(self) -> float:
        return (self.sure + self.asked) / self.renames

    def report(self) -> str:
        return (
            f"rename corpus: {self.renames} real renames, {self.unrelated} unrelated pairs\n"
            f"  precision acting alone: {self.precision_alone:.3f} "
            f"({len(self.wrong_alone)} unrelated pair(s) taken as a rename)\n"
            f"  recall acting alone (sure): {self.sure}/{self.renames} = {self.recall_alone:.3f}\n"
            f"  recall sure + asked (unsure): {self.sure + self.asked}/{self.renames} = "
            f"{self.recall_asked:.3f}\n"
            f"  not found: {', '.join(f'{c.old}->{c.new}' for c in self.missed) or 'none'}"
        )


def measure() -> Measure:
    verdicts = {case: decision(case) for case in CASES}
    for case, (confidence, taken) in verdicts.items():
        assert taken == (confidence == "sure"), case
    return Measure(
        renames=len(RENAMES),
        unrelated=len(UNRELATED),
        wrong_alone=[c for c in UNRELATED if verdicts[c][1]],
        sure=sum(verdicts[c][0] == "sure" for c in RENAMES),
        asked=sum(verdicts[c][0] == "unsure" for c in RENAMES),
        missed=[c for c in RENAMES if verdicts[c][0] == "no"],
    )


if __name__ == "__main__":  # python -m tests.rename_corpus
    print(measure().report())
