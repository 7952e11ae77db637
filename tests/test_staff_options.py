"""Staff adding an item to a customer's tab choose its options on a plain form (no
JavaScript needed), checked and frozen on the line as on the customer's phone."""

import pytest

from extensions import db
from models import OptionChoice
from tests.helpers import load_tab, open_tab


@pytest.fixture
def tab(coffee, phone, in_app):
    return load_tab(in_app, open_tab(phone, coffee.table, "Ana"))


def add(staff, tab, item, **fields):
    return staff.post_form(
        f"/staff/tabs/{tab.id}/order",
        {"item_id": getattr(item, "id", item), "quantity": "1", "sheet": "1", **fields},
    )


def lines(in_app, tab):
    return load_tab(in_app, tab.public_id).lines


def test_the_picker_shows_the_items_groups_as_plain_fields(staff_client, coffee, tab):
    page = staff_client.get(f"/staff/tabs/{tab.id}/items/{coffee.flat_white.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    o = coffee.options
    assert f'name="option-{o.groups["Size"]}" value="{o.regular}"' in html
    assert f'name="option-{o.groups["Milk"]}" value=""' in html  # "None", without JS
    assert f'name="options" value="{o.extra_shot}"' in html
    assert "Add to tab" in html and "€3.80" in html


def test_staff_add_a_large_oat_flat_white_with_an_extra_shot(staff_client, coffee, tab, in_app):
    o = coffee.options
    response = add(
        staff_client,
        tab,
        coffee.flat_white,
        quantity="2",
        **{
            f"option-{o.groups['Size']}": o.large,
            f"option-{o.groups['Milk']}": o.oat_milk,
            "options": [o.extra_shot],
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    [line] = lines(in_app, tab)
    assert line.name == "Flat white (Large, Oat milk, Extra shot)"
    assert (line.quantity, line.unit_price) == (2, 380 + 50 + 40 + 60)
    assert [(c["group"], c["choice"], c["price"]) for c in line.options] == [
        ("Size", "Large", 50),
        ("Milk", "Oat milk", 40),
        ("Extras", "Extra shot", 60),
    ]
    assert line.added_by_id == coffee.staff.id


def test_none_on_the_picker_means_no_milk_not_the_default(staff_client, coffee, tab, in_app):
    o = coffee.options
    response = add(
        staff_client,
        tab,
        coffee.flat_white,
        **{f"option-{o.groups['Size']}": o.regular, f"option-{o.groups['Milk']}": ""},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    [line] = lines(in_app, tab)
    assert (line.name, line.unit_price) == ("Flat white (Regular)", 380)


def test_the_quick_form_still_adds_the_items_defaults(staff_client, coffee, tab, in_app):
    response = staff_client.post_form(
        f"/staff/tabs/{tab.id}/order", {"item_id": coffee.flat_white.id, "quantity": "1"}
    )
    assert response.status_code == 303
    assert lines(in_app, tab)[0].name == "Flat white (Regular)"


def test_choose_options_leads_to_the_picker_with_quantity_and_note(staff_client, coffee, tab):
    response = staff_client.post_form(
        f"/staff/tabs/{tab.id}/order",
        {"item_id": coffee.flat_white.id, "quantity": "3", "note": "to go", "pick": "1"},
    )
    assert response.status_code == 303
    picker = staff_client.get(response.location).get_data(as_text=True)
    assert 'value="3"' in picker and 'value="to go"' in picker
    assert "Choose options" in staff_client.get(f"/staff/tabs/{tab.id}").get_data(as_text=True)


def shut_oat_milk(in_app, choice_id):
    def run():
        db.session.get(OptionChoice, choice_id).available = False
        db.session.commit()

    in_app(run)


@pytest.mark.parametrize(
    "case, message",
    [
        ("no size", "Choose Size for Flat white."),
        ("too many extras", "Choose at most 2 of Extras for Flat white."),
        ("another item's choice", "That option is not offered for Butter croissant."),
        ("unavailable", "Sorry, Oat milk is not available right now."),
        ("not an id", "That option is not offered for Flat white."),
    ],
)
def test_bad_choices_are_refused_on_the_picker_and_add_nothing(
    staff_client, coffee, tab, in_app, case, message
):
    o = coffee.options
    size = {f"option-{o.groups['Size']}": o.regular}
    item, fields = coffee.flat_white, dict(size)
    if case == "no size":
        fields = {}
    elif case == "too many extras":
        fields["options"] = [o.extra_shot, o.syrup, o.decaf]
    elif case == "another item's choice":
        item, fields = coffee.croissant, {"options": [o.oat_milk]}
    elif case == "unavailable":
        shut_oat_milk(in_app, o.oat_milk)
        fields[f"option-{o.groups['Milk']}"] = o.oat_milk
    else:
        fields["options"] = ["99999999999"]
    response = add(staff_client, tab, item, note="kept", **fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="kept"' in html  # the picker again, with what was typed
    assert lines(in_app, tab) == []


def test_an_item_of_another_shop_has_no_picker(staff_client, coffee, other_cafe, tab, in_app):
    assert (
        staff_client.get(f"/staff/tabs/{tab.id}/items/{other_cafe.flat_white.id}").status_code
        == 404
    )
    assert staff_client.get(f"/staff/tabs/{tab.id}/items/abc").status_code == 404
    assert add(staff_client, tab, other_cafe.flat_white).status_code == 404
    assert lines(in_app, tab) == []
