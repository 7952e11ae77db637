"""Back office: option groups and their choices, edited in one place for every item
that asks them; and what each item asks, tells customers and is taxed at."""

from flask import render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from blueprints.admin import bp, done, owned
from blueprints.forms import (
    CategoryTaxForm,
    EmptyForm,
    ItemDetailsForm,
    ItemOptionsForm,
    OptionChoiceForm,
    OptionGroupForm,
    SwitchForm,
    TaxForm,
    submitted,
)
from models import MenuCategory, MenuItem, OptionChoice, OptionGroup
from models.menu import ALLERGENS, DIETARY_TAGS
from money import AmountError, format_plain, parse_amount
from services import Refused, parse_id, unit_of_work
from services import menu as menu_service
from services import options as options_service
from services import photos as photos_service
from services import tax as tax_service

TEMPLATE = "admin/options.html"


def options_page(status: int = 200, *, error: str | None = None, group_form=None):
    shop = current_user.shop
    groups = options_service.groups(shop.id)
    return (
        render_template(
            TEMPLATE,
            shop=shop,
            groups=groups,
            rule_of=options_service.rule_of,
            used_by={group.id: options_service.items_using(group) for group in groups},
            group_form=group_form or OptionGroupForm(formdata=None),
            choice_form=OptionChoiceForm(formdata=None),
            form=EmptyForm(),
            plain=lambda minor: format_plain(minor, shop.currency, shop.locale),
            error=error,
        ),
        status,
    )


def signed_amount(text) -> int:
    """A price change as the owner types it: "0.40", "-0.30" (a smaller size)."""
    shop = current_user.shop
    body = str(text or "").strip()
    negative = body[:1] in ("-", "−")
    try:
        minor = parse_amount(
            body[1:] if negative else body, shop.currency, shop.locale, allow_blank=True
        )
    except AmountError as problem:
        raise Refused(gettext("Price change: %(problem)s", problem=problem)) from None
    return -minor if negative else minor


def item_extras(item: MenuItem) -> dict:
    """What the item's page shows besides its fields: its option groups, allergens,
    tags and tax rate, with the shop's groups to attach."""
    return {
        "all_groups": options_service.groups(item.shop_id),
        "positions": {link.group_id: link.sort for link in item.option_links},
        "allergens": ALLERGENS,
        "dietary_tags": DIETARY_TAGS,
        "details_form": ItemDetailsForm(formdata=None),
        "tax_rate_text": tax_service.format_rate(item.tax_rate),
        "format_rate": tax_service.format_rate,
    }


@bp.get("/menu/options")
def options():
    return options_page()


@bp.post("/menu/options")
def add_group():
    form = OptionGroupForm()
    try:
        submitted(form)
        with unit_of_work():
            group = options_service.save_group(
                current_user.shop, None, form.name.data, form.rule.data, form.most.data
            )
    except Refused as problem:
        return options_page(problem.status_code, error=problem.message, group_form=form)
    return done(gettext("Added the option group %(group)s.", group=group.name), url_for(".options"))


@bp.post("/menu/options/<id:group_id>")
def change_group(group_id: int):
    group = owned(OptionGroup, group_id)
    form = OptionGroupForm()
    try:
        submitted(form)
        with unit_of_work():
            options_service.save_group(
                current_user.shop, group, form.name.data, form.rule.data, form.most.data
            )
    except Refused as problem:
        return options_page(problem.status_code, error=problem.message)
    return done(gettext("Saved %(group)s.", group=group.name), url_for(".options"))


@bp.post("/menu/options/<id:group_id>/delete")
def delete_group(group_id: int):
    group = owned(OptionGroup, group_id)
    submitted(EmptyForm())
    name = group.name
    with unit_of_work():
        options_service.delete_group(group)
    return done(
        gettext("Deleted %(group)s; tabs keep what was ordered with it.", group=name),
        url_for(".options"),
    )


@bp.post("/menu/options/<id:group_id>/choices")
def add_choice(group_id: int):
    group = owned(OptionGroup, group_id)
    form = OptionChoiceForm()
    try:
        submitted(form)
        delta = signed_amount(form.price_delta.data)
        with unit_of_work():
            choice = options_service.save_choice(
                group, None, form.name.data, delta, bool(form.is_default.data)
            )
    except Refused as problem:
        return options_page(problem.status_code, error=problem.message)
    return done(
        gettext("Added %(choice)s to %(group)s.", choice=choice.name, group=group.name),
        url_for(".options", _anchor=f"group-{group.id}"),
    )


@bp.post("/menu/choices/<id:choice_id>")
def change_choice(choice_id: int):
    choice = owned(OptionChoice, choice_id)
    form = OptionChoiceForm()
    try:
        submitted(form)
        delta = signed_amount(form.price_delta.data)
        with unit_of_work():
            options_service.save_choice(
                choice.group, choice, form.name.data, delta, bool(form.is_default.data)
            )
    except Refused as problem:
        return options_page(problem.status_code, error=problem.message)
    return done(
        gettext("Saved %(choice)s.", choice=choice.name),
        url_for(".options", _anchor=f"group-{choice.group_id}"),
    )


@bp.post("/menu/choices/<id:choice_id>/available")
def choice_available(choice_id: int):
    choice = owned(OptionChoice, choice_id)
    form = submitted(SwitchForm())
    with unit_of_work():
        options_service.set_choice_available(choice, form.value.data == "1")
    if choice.available:
        message = gettext("%(choice)s is available.", choice=choice.name)
    else:
        message = gettext("%(choice)s is not available.", choice=choice.name)
    return done(message, url_for(".options", _anchor=f"group-{choice.group_id}"))


@bp.post("/menu/choices/<id:choice_id>/delete")
def delete_choice(choice_id: int):
    choice = owned(OptionChoice, choice_id)
    submitted(EmptyForm())
    name, group_id = choice.name, choice.group_id
    with unit_of_work():
        options_service.delete_choice(choice)
    return done(
        gettext("Deleted %(choice)s.", choice=name),
        url_for(".options", _anchor=f"group-{group_id}"),
    )


# -- an item's options, allergens, tags and tax ------------------------------------------


@bp.post("/menu/items/<id:item_id>/options")
def item_options(item_id: int):
    item = owned(MenuItem, item_id)
    form = submitted(ItemOptionsForm())
    positions = {}
    for raw in form.groups.data or []:
        group_id = parse_id(raw)
        if group_id is None:
            raise Refused(gettext("Pick one of the menu's option groups."))
        position = (request.form.get(f"position-{group_id}") or "0").strip()
        if not position.isascii() or not position.isdigit() or len(position) > 3:
            raise Refused(gettext("The position must be a whole number from 0 to 999."))
        positions[group_id] = int(position)
    with unit_of_work():
        options_service.set_item_groups(item, positions)
    return done(
        gettext("Saved the options of %(item)s.", item=item.name),
        url_for(".item", item_id=item.id),
    )


@bp.post("/menu/items/<id:item_id>/details")
def item_details(item_id: int):
    item = owned(MenuItem, item_id)
    form = submitted(ItemDetailsForm())
    allergens = (form.allergens.data or []) if form.allergens_known.data == "stated" else None
    with unit_of_work():
        menu_service.save_details(
            item,
            allergens,
            form.tags.data or [],
            tax_service.parse_rate(form.tax_rate.data, allow_blank=True),
        )
    return done(gettext("Saved %(item)s.", item=item.name), url_for(".item", item_id=item.id))


@bp.url_value_preprocessor
def allow_photo_uploads(endpoint, _values):
    """A photo is bigger than any other body we take: lift the cap for its one route,
    before CSRF checking reads the body (url preprocessors run first)."""
    if endpoint == "admin.item_photo":
        request.max_content_length = photos_service.MAX_BYTES + 64 * 1024


@bp.post("/menu/items/<id:item_id>/photo")
def item_photo(item_id: int):
    item = owned(MenuItem, item_id)
    submitted(EmptyForm())
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        raise Refused(gettext("Choose a photo to upload."))
    data = upload.stream.read(photos_service.MAX_BYTES + 1)
    with unit_of_work():
        photos_service.store(item, data)
    return done(
        gettext("Saved the photo of %(item)s.", item=item.name),
        url_for(".item", item_id=item.id, _anchor="photo"),
    )


@bp.post("/menu/items/<id:item_id>/photo/delete")
def remove_item_photo(item_id: int):
    item = owned(MenuItem, item_id)
    submitted(EmptyForm())
    with unit_of_work():
        photos_service.remove(item)
    return done(
        gettext("Removed the photo of %(item)s.", item=item.name),
        url_for(".item", item_id=item.id, _anchor="photo"),
    )


@bp.post("/menu/tax")
def shop_tax():
    form = submitted(TaxForm())
    with unit_of_work():
        menu_service.set_shop_tax(
            current_user.shop,
            form.prices_include_tax.data == "1",
            tax_service.parse_rate(form.tax_rate.data),
        )
    return done(gettext("Saved the tax settings."), url_for(".menu", _anchor="tax"))


@bp.post("/menu/categories/<id:category_id>/tax")
def category_tax(category_id: int):
    category = owned(MenuCategory, category_id)
    form = submitted(CategoryTaxForm())
    with unit_of_work():
        menu_service.set_category_tax(
            category, tax_service.parse_rate(form.tax_rate.data, allow_blank=True)
        )
    return done(
        gettext("Saved the tax rate of %(category)s.", category=category.name), url_for(".menu")
    )
