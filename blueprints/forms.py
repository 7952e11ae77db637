"""Flask-WTF forms: CSRF and the shape of each POST. Rules about what a value may be
(quantities, amounts, who may do what) live in `services`, so every way in is
checked the same way."""

from flask import has_request_context, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskForm
from flask_wtf.form import SUBMIT_METHODS
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional

from models import StaffMember, Tab, TabLine
from models.card import CARD_KINDS
from models.payment import PAYMENT_METHODS
from services import Refused
from services import tabs as tab_service
from services.text import LINE_BREAKS, safe_characters, without_controls


class FlaskForm(_FlaskForm):
    """Every form's fields arrive as text, whatever the body's encoding.

    Flask-WTF reads a JSON body as the form's fields; its values may be numbers,
    booleans, lists or objects, which the fields would choke on (a 500). Scalars are
    read as the text a form would have sent, a list as the field sent several times,
    and anything nested is refused. Every text field is then cleaned of control
    characters (a text area keeps its line breaks), so no view or service ever sees
    a NUL. (web/bodies.py has already refused bodies that are not one sane object.)
    """

    class Meta(_FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            asked_for_request = formdata is not None and not hasattr(formdata, "getlist")
            if (
                asked_for_request
                and has_request_context()
                and request.method in SUBMIT_METHODS
                and request.is_json
            ):
                return json_formdata(request.get_json(silent=True))
            return super().wrap_formdata(form, formdata)

        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                if issubclass(field_class, HiddenField):
                    clean = key_text
                elif issubclass(field_class, TextAreaField):
                    clean = paragraph_text
                else:
                    clean = line_text
                filters = unbound_field.kwargs.get("filters", ())
                options = {**options, "filters": [*filters, clean]}
            return super().bind_field(form, unbound_field, options)


def _form_text(name: str, value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "y" if value else ""
    if isinstance(value, int | float):
        return str(value)
    raise Refused(gettext("The field %(name)s must be text or a number.", name=str(name)[:40]))


def json_formdata(data) -> MultiDict:
    if not isinstance(data, dict):
        raise Refused(gettext("Send the form's fields as a JSON object."))
    pairs = []
    for name, value in data.items():
        values = value if isinstance(value, list) else [value]
        pairs += [(name, _form_text(name, each)) for each in values if each is not None]
    return MultiDict(pairs)


def line_text(value):
    """Control characters (NUL among them) become spaces; the service trims."""
    return safe_characters(value) if isinstance(value, str) else value


def key_text(value):
    return without_controls(value) if isinstance(value, str) else value


def paragraph_text(value):
    if not isinstance(value, str):
        return value
    return "\n".join(safe_characters(line) for line in LINE_BREAKS.sub("\n", value).split("\n"))


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class OpenTabForm(FlaskForm):
    customer_name = StringField("Your first name (optional)", validators=[Optional()])


class OrderForm(FlaskForm):
    item_id = HiddenField(validators=[DataRequired(_l("Pick an item from the menu."))])
    quantity = StringField("Quantity", default="1")
    note = StringField("Note for the counter (optional)", validators=[Optional()])
    request_key = HiddenField()

    def add_to(
        self,
        tab: Tab,
        options,
        *,
        staff: StaffMember | None = None,
        phone_id: str | None = None,
        language: str | None = None,
    ) -> TabLine:
        """Order what this form asks for onto `tab`, with the option choice ids
        `options` (services.tabs.add_line checks them all): the one call behind the
        customer's and the counter's order views, which differ only in who ordered
        (a member of staff, or a phone and the language it reads the tab in)."""
        return tab_service.add_line(
            tab,
            self.item_id.data,
            self.quantity.data,
            self.note.data,
            request_key=self.request_key.data,
            staff=staff,
            phone_id=phone_id,
            options=options,
            language=language,
        )


class LineStatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired(_l("Say what the line becomes."))])


class VoidLineForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Say why the line is voided."))])


class PaymentForm(FlaskForm):
    method = StringField(
        _l("Paid by"),
        validators=[
            DataRequired(_l("Choose cash or card.")),
            AnyOf(PAYMENT_METHODS, message=_l("Choose cash or card.")),
        ],
    )
    amount = StringField(_l("Bill"), validators=[DataRequired(_l("Enter the amount of the bill."))])
    # Left out, the tip is the one the customers chose (services.payments).
    tip = StringField(_l("Tip"))
    # Said for cash, so the change to give back is worked out.
    cash_given = StringField(_l("Cash given"))
    # Set when staff take what a phone asked to pay (its part and its tip).
    request_id = HiddenField()


class BillForm(FlaskForm):
    """The customer's bill: which part to pay and the tip."""

    share = HiddenField(default="all")
    tip = HiddenField(default="none")
    custom_tip = StringField("Other amount", validators=[Optional()])


class RatingForm(FlaskForm):
    """The bill's satisfaction check; the rating's range is the service's to refuse."""

    rating = HiddenField()
    comment = TextAreaField("Anything to tell us? (optional)", validators=[Optional()])


class FlagLineForm(FlaskForm):
    note = StringField("What wasn't right? (optional)", validators=[Optional()])


class AdjustLineForm(FlaskForm):
    """Remake, comp or discount a line: always with a reason (the service insists)."""

    reason = StringField(_l("Reason"), validators=[Optional()])
    kind = HiddenField()
    value = StringField(_l("Discount"), validators=[Optional()])


class DepositForm(FlaskForm):
    method = StringField(
        _l("Deposit paid by"),
        validators=[
            DataRequired(_l("Choose cash or card.")),
            AnyOf(PAYMENT_METHODS, message=_l("Choose cash or card.")),
        ],
    )


class CloseTabForm(FlaskForm):
    deposit = HiddenField()
    reason = StringField(_l("Reason"), validators=[Optional()])


class WalkOutForm(FlaskForm):
    # Required, but checked by services.tabs.mark_walked_out so the message is one.
    reason = StringField(_l("What happened"), validators=[Optional()])


class JoinForm(FlaskForm):
    name = StringField("Your first name (optional)", validators=[Optional()])


class StaffOpenTabForm(FlaskForm):
    card_id = HiddenField()
    customer_name = StringField(_l("Customer's name (optional)"), validators=[Optional()])


# -- the owner's back office ------------------------------------------------------------


class ShopSettingsForm(FlaskForm):
    name = StringField(_l("Shop name"), validators=[DataRequired(_l("Give the shop a name."))])
    currency = StringField(_l("Currency (ISO code, e.g. EUR)"))
    locale = StringField(_l("Language and number format (e.g. en_IE)"))
    timezone = StringField(_l("Timezone (e.g. Europe/Dublin)"))
    service_note = TextAreaField(_l("What's included / service limits (shown to customers)"))
    closing_time = TimeField(_l("Closing time (optional)"), validators=[Optional()])
    tip_presets = StringField(_l("Tip choices on the bill, in percent (e.g. 10,15,20)"))
    deposit = StringField(_l("Deposit asked when a tab opens (0 for none)"))
    # Asked only when the currency changes: services.shops.PRICE_CHOICES.
    prices = StringField(validators=[Optional()])


class CategoryForm(FlaskForm):
    name = StringField(_l("Category name"))


class TicketSettingsForm(FlaskForm):
    preparing_step = BooleanField(_l('Lines go through "Preparing" before "Ready"'))
    warn = StringField(_l("A ticket turns amber after (minutes)"))
    late = StringField(_l("A ticket turns red after (minutes)"))


class StationForm(FlaskForm):
    name = StringField(_l("Station name (e.g. Bar, Kitchen)"))


class MenuItemForm(FlaskForm):
    name = StringField(_l("Name"))
    description = TextAreaField(_l("Description (optional)"))
    price = StringField(_l("Price"))
    # One of the shop's categories (the page offers them), checked by the menu service.
    category = StringField(_l("Category"))
    available = BooleanField(_l("Available now"), default=True)
    sort = StringField(_l("Position in its category"), default="0")


class ItemDetailsForm(FlaskForm):
    """What customers are told about an item, and its tax rate."""

    # "unknown": the owner has not said (customers are told so); "stated": the ticks
    # below are the whole list, none ticked meaning none of the 14.
    allergens_known = StringField(
        validators=[AnyOf(("unknown", "stated"), message=_l("Say whether you know the allergens."))]
    )
    # Keys checked by services.menu.save_details, so an unknown one is a clear 400.
    allergens = SelectMultipleField(validate_choice=False)
    tags = SelectMultipleField(validate_choice=False)
    tax_rate = StringField(_l("Tax rate in percent"), validators=[Optional()])


class ItemOptionsForm(FlaskForm):
    """The option groups an item asks, ticked; their order comes as position-<id>."""

    groups = SelectMultipleField(validate_choice=False)


class TaxForm(FlaskForm):
    prices_include_tax = StringField(
        validators=[AnyOf(("1", "0"), message=_l("Say whether your prices include tax."))]
    )
    tax_rate = StringField(_l("Tax rate in percent"), default="0")


class CategoryTaxForm(FlaskForm):
    tax_rate = StringField(_l("Tax rate in percent"), validators=[Optional()])


class OptionGroupForm(FlaskForm):
    name = StringField(_l("Group name"))
    rule = StringField(
        _l("Customers choose"),
        default="one",
        validators=[
            AnyOf(("one", "optional", "many"), message=_l("Say how many choices the group takes."))
        ],
    )
    most = StringField(_l("Up to how many"), default="2", validators=[Optional()])


class OptionChoiceForm(FlaskForm):
    name = StringField(_l("Choice"))
    # May be negative ("-0.30" for a small size); read in the view.
    price_delta = StringField(_l("Price change"), default="0")
    is_default = BooleanField(_l("Chosen unless the customer changes it"))


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(("up", "down"), message=_l("Move up or down."))])


class SwitchForm(FlaskForm):
    """A button that turns something on ("1") or off ("0")."""

    value = HiddenField(validators=[AnyOf(("0", "1"), message=_l("Say on or off."))])


class AddStaffForm(FlaskForm):
    email = StringField(_l("Email"))
    name = StringField(_l("Name"))
    role = StringField(_l("Role"), default="staff")
    password = PasswordField(_l("Password (at least 10 characters)"))


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password (at least 10 characters)"))


class RoleForm(FlaskForm):
    role = StringField(_l("Role"))


class CardBatchForm(FlaskForm):
    kind = StringField(
        _l("Kind of card"),
        default="table",
        validators=[AnyOf(CARD_KINDS, message=_l("Choose table or personal cards."))],
    )
    count = StringField(_l("How many"), default="10")


class CashUpForm(FlaskForm):
    opening_float = StringField(_l("Float: cash in the drawer when this stretch began"))
    counted = StringField(_l("Cash counted in the drawer now"))
    note = StringField(_l("Note (optional)"), validators=[Optional()])
    # The number of the latest cash-up when the page was drawn (0: none yet), so a
    # count made meanwhile by someone else is caught; and "1" when counting again.
    after = HiddenField()
    recount = HiddenField()


class EmptyForm(FlaskForm):
    """A button-only POST: nothing but the CSRF token."""


def first_error(form: FlaskForm) -> str:
    for errors in form.errors.values():
        if errors:
            return errors[0]
    return "Something in the form was not right."


def chosen_options() -> list[str]:
    """The option choice ids an order sent: checkboxes named `options`, radio buttons
    named `option-<group id>` (one name per group keeps radios apart), or a JSON
    list under `options`. Checked against the item by services.options.choose."""
    if request.is_json:
        body = request.get_json(silent=True)
        raw = body.get("options") if isinstance(body, dict) else None
        if raw is None:
            return []
        return [str(value) for value in (raw if isinstance(raw, list) else [raw])][:200]
    values = []
    for key in request.form:
        if key == "options" or key.startswith("option-"):
            # An empty value is a group's "None" radio: no choice.
            values += [value for value in request.form.getlist(key) if value.strip()]
    return values[:200]


def submitted(form: FlaskForm) -> FlaskForm:
    """The form as sent (CSRF token included), or Refused with its first problem: a
    clear 400, and nothing done."""
    if not form.validate_on_submit():
        raise Refused(first_error(form))
    return form


class TrustSettingsForm(FlaskForm):
    """Tab limits, the idle reminder and the stamp card; amounts as typed, read by
    the view in the shop's currency and checked by services.trust."""

    tab_limit_first = StringField(_l("Tab limit for a phone or card never seen (empty: no limit)"))
    tab_limit_step = StringField(_l("Added for every tab paid in full here"))
    tab_limit_ceiling = StringField(_l("Highest limit (empty: no ceiling)"))
    walkout_deposit = StringField(_l("Deposit asked on the next tab after a walk-out (0: none)"))
    idle_minutes = StringField(_l("Remind an idle tab after this many minutes (empty: never)"))
    loyalty_every = StringField(_l("Stamps for a free item (empty: no stamp card)"))
