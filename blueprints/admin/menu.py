"""Back office: the menu's categories and items."""

from flask import Response, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from blueprints.admin import bp, done, owned, page_with_error
from blueprints.forms import CategoryForm, EmptyForm, MenuItemForm, MoveForm, SwitchForm, submitted
from models import MenuCategory, MenuItem
from money import AmountError, format_plain, parse_amount
from services import Refused, menu_csv, unit_of_work
from services import menu as menu_service
from services.tax import format_rate

TEMPLATE = "admin/menu.html"
ITEM_TEMPLATE = "admin/item.html"


def item_extras(item: MenuItem) -> dict:
    from blueprints.admin.options import item_extras

    return item_extras(item)


def item_form(item: MenuItem | None = None) -> MenuItemForm:
    """The item form filled from `item` (or blank), as the owner reads it."""
    form = MenuItemForm(formdata=None, obj=item)
    if item is not None:
        form.price.data = format_plain(
            item.price, current_user.shop.currency, current_user.shop.locale
        )
        form.sort.data = str(item.sort)
    return form


def category_names() -> list[str]:
    return [c.name for c in menu_service.categories(current_user.shop_id)]


def menu_page(status: int = 200, *, error: str | None = None, **forms):
    shop = current_user.shop
    sections, archived = menu_service.owner_menu(shop.id)
    context = {
        "shop": shop,
        "sections": sections,
        "archived": archived,
        "category_form": forms.get("category_form") or CategoryForm(formdata=None),
        "item_form": forms.get("item_form") or item_form(),
        "category_names": category_names(),
        "form": EmptyForm(),
        "error": error,
        "format_rate": format_rate,
    }
    return render_template(TEMPLATE, **context), status


def item_fields(form: MenuItemForm) -> dict:
    submitted(form)
    shop = current_user.shop
    try:
        price = parse_amount(form.price.data, shop.currency, shop.locale)
    except AmountError as problem:
        raise Refused(gettext("Price: %(problem)s", problem=problem)) from None
    sort = (form.sort.data or "0").strip()
    if not sort.isascii() or not sort.isdigit() or len(sort) > 4:
        raise Refused(gettext("The position must be a whole number from 0 to 9999."))
    return {
        "name": form.name.data,
        "description": form.description.data,
        "price": price,
        "category": form.category.data or "",
        "available": bool(form.available.data),
        "sort": int(sort),
    }


@bp.get("/menu")
def menu():
    return menu_page()


# -- categories --------------------------------------------------------------------------


@bp.post("/menu/categories")
def add_category():
    form = CategoryForm()
    try:
        submitted(form)
        with unit_of_work():
            category = menu_service.add_category(current_user.shop, form.name.data)
    except Refused as problem:
        return menu_page(problem.status_code, error=problem.message, category_form=form)
    return done(
        gettext("Added the category %(category)s.", category=category.name), url_for(".menu")
    )


@bp.post("/menu/categories/<id:category_id>")
def rename_category(category_id: int):
    category = owned(MenuCategory, category_id)
    form = CategoryForm()
    try:
        submitted(form)
        with unit_of_work():
            menu_service.rename_category(category, form.name.data)
    except Refused as problem:
        return menu_page(problem.status_code, error=problem.message)
    return done(gettext("Renamed to %(category)s.", category=category.name), url_for(".menu"))


@bp.post("/menu/categories/<id:category_id>/move")
def move_category(category_id: int):
    category = owned(MenuCategory, category_id)
    form = submitted(MoveForm())
    with unit_of_work():
        menu_service.move_category(category, -1 if form.direction.data == "up" else 1)
    if form.direction.data == "up":
        moved = gettext("Moved %(category)s up.", category=category.name)
    else:
        moved = gettext("Moved %(category)s down.", category=category.name)
    return done(moved, url_for(".menu"))


@bp.post("/menu/categories/<id:category_id>/delete")
def delete_category(category_id: int):
    category = owned(MenuCategory, category_id)
    submitted(EmptyForm())
    name = category.name
    try:
        with unit_of_work():
            menu_service.delete_category(category)
    except Refused as problem:
        return menu_page(problem.status_code, error=problem.message)
    return done(gettext("Deleted the category %(category)s.", category=name), url_for(".menu"))


# -- items -------------------------------------------------------------------------------


@bp.post("/menu/items")
def add_item():
    form = MenuItemForm()
    try:
        fields = item_fields(form)
        with unit_of_work():
            item = menu_service.save_item(current_user.shop, None, **fields)
    except Refused as problem:
        return menu_page(problem.status_code, error=problem.message, item_form=form)
    return done(gettext("Added %(item)s.", item=item.name), url_for(".menu"))


@bp.route("/menu/items/<id:item_id>", methods=["GET", "POST"])
def item(item_id: int):
    item = owned(MenuItem, item_id)
    shop = current_user.shop
    if request.method == "GET":
        return render_template(
            ITEM_TEMPLATE,
            shop=shop,
            item=item,
            form=item_form(item),
            category_names=category_names(),
            **item_extras(item),
        )
    form = MenuItemForm()
    try:
        fields = item_fields(form)
        with unit_of_work():
            menu_service.save_item(shop, item, **fields)
    except Refused as problem:
        return page_with_error(
            ITEM_TEMPLATE,
            problem,
            shop=shop,
            item=item,
            form=form,
            category_names=category_names(),
            **item_extras(item),
        )
    return done(gettext("Saved %(item)s.", item=item.name), url_for(".menu"))


@bp.post("/menu/items/<id:item_id>/available")
def item_available(item_id: int):
    item = owned(MenuItem, item_id)
    form = submitted(SwitchForm())
    with unit_of_work():
        menu_service.set_available(item, form.value.data == "1")
    if item.available:
        message = gettext("%(item)s is available.", item=item.name)
    else:
        message = gettext("%(item)s is not available.", item=item.name)
    return done(message, url_for(".menu"))


@bp.post("/menu/items/<id:item_id>/delete")
def delete_item(item_id: int):
    item = owned(MenuItem, item_id)
    submitted(EmptyForm())
    name = item.name
    with unit_of_work():
        archived = menu_service.delete_item(item)
    if archived:
        message = gettext(
            "%(item)s is off the menu; it stays on past tabs, so it was archived.", item=name
        )
    else:
        message = gettext("Deleted %(item)s.", item=name)
    return done(message, url_for(".menu"))


@bp.post("/menu/items/<id:item_id>/restore")
def restore_item(item_id: int):
    item = owned(MenuItem, item_id)
    submitted(EmptyForm())
    try:
        with unit_of_work():
            menu_service.restore_item(item)
    except Refused as problem:
        return done(problem.message, url_for(".menu"), "error")
    return done(gettext("%(item)s is back on the menu.", item=item.name), url_for(".menu"))


# -- the whole menu as one CSV file --------------------------------------------------------


@bp.get("/menu.csv")
def export_menu():
    shop = current_user.shop
    return Response(
        menu_csv.export_text(shop),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{shop.slug}-menu.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.url_value_preprocessor
def allow_menu_files(endpoint, _values):
    """A menu file is bigger than any form: lift the cap for its one route, before
    CSRF checking reads the body."""
    if endpoint == "admin.import_menu":
        request.max_content_length = menu_csv.MAX_BYTES + 64 * 1024


@bp.post("/menu/import")
def import_menu():
    try:
        submitted(EmptyForm())
        upload = request.files.get("menu")
        if upload is None or not upload.filename:
            raise Refused(gettext("Choose a menu file (CSV) to import."))
        data = upload.stream.read(menu_csv.MAX_BYTES + 1)
        with unit_of_work():
            result = menu_csv.import_menu(current_user.shop, data)
    except Refused as problem:
        message = gettext("Nothing was imported. %(problem)s", problem=problem.message)
        return menu_page(problem.status_code, error=message)
    return done(
        gettext(
            "Imported the menu: %(categories)d categories, %(groups)d option groups, "
            "%(items)d items.",
            categories=result.categories,
            groups=result.groups,
            items=result.items,
        ),
        url_for(".menu"),
    )
