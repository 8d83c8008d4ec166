"""Forms submitted the way a browser submits them.

A browser posts every successful control of a form in document order, duplicates kept
(HTML's "constructing the entry list"): hidden inputs, text inputs, checked boxes, the
selected options of a select (or its first option), textareas, and the one submit button
pressed. A helper that keeps one value per name hides exactly the defects that break a
real browser, such as two CSRF tokens in one form, so every form test posts through this.

The driver is strict where a browser is:

- a name the form does not have cannot be set;
- a select takes only one of its options;
- a select2-ajax picker (a hidden input that Flask-Admin's script turns into a search box)
  takes only a record its lookup endpoint returns for what the user typed (``pick``);
- an inline row is added as the widget's "添加" button adds it (``add_inline``);
- a POST form must carry exactly one CSRF token, as the page gave it: none means the page
  forgot it, two mean a template rendered it twice (the server reads one, a browser sends
  both).

``force``, ``remove`` and ``forge`` are for tests that post what a browser could not (a
forged option, a tampered hidden field, a missing token); they lift the token check for
the names they touch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import BytesIO
from typing import Any
from urllib.parse import urlencode, urljoin

from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict


@dataclass
class Option:
    value: str
    selected: bool
    disabled: bool = False


@dataclass
class Control:
    tag: str  # input, select, textarea, button
    kind: str  # the input's type; "select", "textarea" or "submit" for the others
    name: str
    value: str = ""
    checked: bool = False
    disabled: bool = False
    multiple: bool = False
    options: list[Option] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)

    def entries(self) -> list[str]:
        """The values this control contributes to the entry list (none, one or several)."""
        if self.disabled or not self.name:
            return []
        if self.kind in ("submit", "image", "button", "reset", "file"):
            return []
        if self.kind in ("checkbox", "radio"):
            return [self.value or "on"] if self.checked else []
        if self.kind == "select":
            chosen = [o.value for o in self.options if o.selected and not o.disabled]
            if self.multiple:
                return chosen
            if chosen:
                return chosen[-1:]
            enabled = [o.value for o in self.options if not o.disabled]
            return enabled[:1]
        return [self.value]


class FormError(AssertionError):
    """A test asked the form for something a browser could not do."""


def is_csrf_token(name: str) -> bool:
    """Flask-WTF's token, also under a prefixed form's name (``persuade-csrf_token``)."""
    return name == "csrf_token" or name.endswith("-csrf_token")


class HtmlForm:
    def __init__(self, attrs: dict[str, str], page_url: str) -> None:
        self.attrs = attrs
        self.page_url = page_url
        self.controls: list[Control] = []
        self.files: dict[str, tuple[bytes, str]] = {}
        #: The test client that opened the page: a select2-ajax pick asks its lookup.
        self.client: FlaskClient | None = None
        #: Names a test tampered with (``force``/``remove``/``forge``).
        self.tampered: set[str] = set()

    # --- What the page holds -----------------------------------------------------------

    @property
    def action(self) -> str:
        return urljoin(self.page_url, self.attrs.get("action") or self.page_url)

    @property
    def method(self) -> str:
        return (self.attrs.get("method") or "get").lower()

    def named(self, name: str) -> list[Control]:
        return [c for c in self.controls if c.name == name]

    def names(self) -> list[str]:
        return [c.name for c in self.controls if c.name]

    def pairs(self, button: str | None = None) -> list[tuple[str, str]]:
        """The entry list a browser builds, pressing the submit button named ``button``."""
        entries = [(c.name, v) for c in self.controls for v in c.entries()]
        if button is not None:
            pressed = [c for c in self.named(button) if c.kind in ("submit", "image")]
            if not pressed:
                raise FormError(f"no submit button named {button!r}")
            entries.append((button, pressed[0].value))
        return entries

    def values(self) -> dict[str, str]:
        """One value per name (the last one), for assertions about what the form shows."""
        return dict(self.pairs())

    def value(self, name: str) -> str | None:
        found = [v for n, v in self.pairs() if n == name]
        return found[0] if found else None

    def options(self, name: str) -> list[str]:
        control = self._one(name)
        if control.kind != "select":
            raise FormError(f"{name!r} is not a select")
        return [o.value for o in control.options]

    # --- What a user can do ------------------------------------------------------------

    def set(self, name: str, value: Any) -> HtmlForm:
        """Type into a field, pick an option, or tick/untick a box (True/False)."""
        control = self._one(name)
        if control.disabled:
            raise FormError(f"{name!r} is disabled")
        if control.attrs.get("data-role") == "select2-ajax":
            return self.pick(name, value)
        if control.kind in ("checkbox", "radio"):
            if isinstance(value, bool):
                self._tick(name, control, value)
            else:
                matches = [c for c in self.named(name) if c.value == str(value)]
                if not matches:
                    raise FormError(f"{name!r} has no box with value {value!r}")
                self._tick(name, matches[0], True)
            return self
        if control.kind == "select":
            wanted = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
            known = {o.value for o in control.options}
            missing = [v for v in wanted if v not in known]
            if missing:
                raise FormError(f"{name!r} offers no option {missing!r}; options: {sorted(known)}")
            if len(wanted) > 1 and not control.multiple:
                raise FormError(f"{name!r} takes one option")
            for option in control.options:
                option.selected = option.value in wanted
            return self
        control.value = "" if value is None else str(value)
        return self

    def pick(self, name: str, value: Any, query: str = "") -> HtmlForm:
        """Type ``query`` into a select2-ajax picker and choose the record ``value`` (its id;
        a list for a multiple picker) from what the picker's lookup returns, as a user does.

        A record the lookup does not return for that query cannot be picked; None or ""
        clears a picker that allows a blank.
        """
        control = self._one(name)
        attrs = control.attrs
        if attrs.get("data-role") != "select2-ajax":
            raise FormError(f"{name!r} is not a select2-ajax picker")
        if value is None or value == "" or value == []:
            if not attrs.get("data-allow-blank") and not attrs.get("data-multiple"):
                raise FormError(f"{name!r} cannot be cleared (it allows no blank)")
            control.value = ""
            return self
        wanted = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
        if len(wanted) > 1 and not attrs.get("data-multiple"):
            raise FormError(f"{name!r} takes one record")
        offered = self.lookup(name, query)
        missing = [v for v in wanted if v not in offered]
        if missing:
            raise FormError(
                f"{name!r}: the lookup for {query!r} offers no record {missing}; "
                f"it offers {offered}"
            )
        control.value = attrs.get("data-separator", ",").join(wanted)
        return self

    def lookup(self, name: str, query: str = "") -> dict[str, str]:
        """What a select2-ajax picker offers for ``query``: {id: label}, the first page."""
        control = self._one(name)
        if self.client is None:
            raise FormError(f"{name!r} is a select2-ajax picker: open the form with open_form")
        minimum = int(control.attrs.get("data-minimum-input-length", "1") or 0)
        if len(query) < minimum:
            raise FormError(f"{name!r} looks up nothing before {minimum} characters are typed")
        url = control.attrs["data-url"]
        joiner = "&" if "?" in url else "?"
        response = self.client.get(
            f"{url}{joiner}{urlencode({'query': query, 'offset': 0, 'limit': 10})}"
        )
        if response.status_code != 200:
            raise FormError(f"the lookup of {name!r} answered {response.status_code}")
        return {str(pk): label for pk, label in response.get_json()}

    def update(self, changes: dict[str, Any]) -> HtmlForm:
        for name, value in changes.items():
            self.set(name, value)
        return self

    def force(self, name: str, value: Any) -> HtmlForm:
        """Post a value no browser could (a forged option, a tampered hidden field)."""
        self.tampered.add(name)
        existing = self.named(name)
        if existing:
            control = existing[0]
            control.kind = "hidden"
            control.disabled = False
            control.value = str(value)
        else:
            self.controls.append(Control("input", "hidden", name, str(value)))
        return self

    def remove(self, name: str) -> HtmlForm:
        """Drop a control from the page (e.g. a token, for a test of what is refused)."""
        if not self.named(name):
            raise FormError(f"no control named {name!r}")
        self.tampered.add(name)
        self.controls = [c for c in self.controls if c.name != name]
        return self

    def forge(self, name: str, value: Any) -> HtmlForm:
        """Add one more entry a browser could not send (a forged id beside the real ones);
        ``force`` replaces a control, this one adds to it."""
        self.tampered.add(name)
        self.controls.append(Control("input", "hidden", name, str(value)))
        return self

    def attach(self, name: str, content: bytes, filename: str) -> HtmlForm:
        control = self._one(name)
        if control.kind != "file":
            raise FormError(f"{name!r} is not a file input")
        self.files[name] = (content, filename)
        return self

    def add_inline(self, prefix: str, values: dict[str, Any]) -> HtmlForm:
        """Add a row to an inline list as Flask-Admin's "添加" button does.

        The widget clones its row template and prefixes every name with the list's id
        and the next free index (``scores-2-item``); values then go through ``set``.
        """
        template = self.inline_templates.get(prefix)
        if template is None:
            raise FormError(f"no inline list {prefix!r}; lists: {sorted(self.inline_templates)}")
        used = {
            int(parts[1])
            for c in self.controls
            if (parts := c.name.split("-")) and len(parts) >= 3 and parts[0] == prefix
            if parts[1].isdigit()
        }
        row = f"{prefix}-{max(used, default=-1) + 1}"
        for control in template:
            clone = Control(
                control.tag,
                control.kind,
                f"{row}-{control.name}",
                control.value,
                control.checked,
                control.disabled,
                control.multiple,
                [Option(o.value, o.selected, o.disabled) for o in control.options],
                dict(control.attrs),
            )
            self.controls.append(clone)
        for key, value in values.items():
            self.set(f"{row}-{key}", value)
        return self

    def submit(self, client: FlaskClient, button: str | None = None, **kwargs: Any) -> Any:
        pairs = self.pairs(button)
        if self.method == "post" and not any(is_csrf_token(n) for n in self.tampered):
            tokens = [n for n, _ in pairs if is_csrf_token(n)]
            if len(tokens) != 1:
                raise FormError(
                    f"the form to {self.action} carries {len(tokens)} CSRF tokens, not one"
                )
        if self.method == "get":
            return client.get(self.action, query_string=MultiDict(pairs), **kwargs)
        data: MultiDict[str, Any] = MultiDict(pairs)
        for name, (content, filename) in self.files.items():
            data.add(name, (BytesIO(content), filename))
        return client.post(self.action, data=data, **kwargs)

    # --- Internals ---------------------------------------------------------------------

    inline_templates: dict[str, list[Control]]

    def _one(self, name: str) -> Control:
        found = self.named(name)
        if not found:
            raise FormError(f"the form has no field {name!r}; it has {sorted(set(self.names()))}")
        kinds = {c.kind for c in found}
        if len(found) > 1 and not kinds <= {"checkbox", "radio"}:
            raise FormError(f"{len(found)} controls are named {name!r}")
        return found[0]

    def _tick(self, name: str, control: Control, on: bool) -> None:
        if control.kind == "radio" and on:
            for other in self.named(name):
                other.checked = False
        control.checked = on


class _PageReader(HTMLParser):
    """Every form of a page with its controls in document order.

    Flask-Admin keeps an inline list's row template as escaped text, which is no control;
    it is parsed separately so ``add_inline`` can clone it as the widget's script does.
    """

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._select: Control | None = None
        self._option: Option | None = None
        self._textarea: Control | None = None
        self._template_depth = 0
        self._template_text: list[str] = []
        self._pending_template: list[Control] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "div" and "inline-field-template" in a.get("class", "").split():
            self._template_depth = 1
            self._template_text = []
            return
        if self._template_depth:
            if tag == "div":
                self._template_depth += 1
            return
        if tag == "form":
            self._form = HtmlForm(a, self.page_url)
            self._form.inline_templates = {}
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        # The widget's "添加" link follows its template: ``<a id="scores-button">``.
        if tag == "a" and a.get("id", "").endswith("-button") and self._pending_template:
            form.inline_templates[a["id"].removesuffix("-button")] = self._pending_template
            self._pending_template = None
        disabled = "disabled" in a
        if tag == "input":
            kind = a.get("type", "text").lower()
            form.controls.append(
                Control(
                    "input",
                    kind,
                    a.get("name", ""),
                    a.get("value", "on" if kind in ("checkbox", "radio") else ""),
                    checked="checked" in a,
                    disabled=disabled,
                    attrs=a,
                )
            )
        elif tag == "button":
            kind = a.get("type", "submit").lower()
            form.controls.append(
                Control("button", kind, a.get("name", ""), a.get("value", ""), attrs=a)
            )
        elif tag == "select":
            self._select = Control(
                "select",
                "select",
                a.get("name", ""),
                disabled=disabled,
                multiple="multiple" in a,
                attrs=a,
            )
            form.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = Option(a.get("value", ""), "selected" in a, "disabled" in a)
            self._option_has_value = "value" in a
            self._option_text: list[str] = []
            self._select.options.append(self._option)
        elif tag == "textarea":
            self._textarea = Control("textarea", "textarea", a.get("name", ""), "", attrs=a)
            self._textarea.disabled = disabled
            form.controls.append(self._textarea)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._template_depth:
            if tag == "div":
                self._template_depth -= 1
                if not self._template_depth:
                    self._read_template("".join(self._template_text))
            return
        if tag == "option":
            self._close_option()
        elif tag == "select":
            self._close_option()
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # HTML normalises CRLF to LF and drops one newline right after <textarea>.
            value = self._textarea.value.replace("\r\n", "\n")
            self._textarea.value = value[1:] if value.startswith("\n") else value
            self._textarea = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if self._template_depth:
            self._template_text.append(data)
        elif self._textarea is not None:
            self._textarea.value += data
        elif self._option is not None:
            self._option_text.append(data)

    def _close_option(self) -> None:
        if self._option is not None and not self._option_has_value:
            self._option.value = "".join(self._option_text).strip()
        self._option = None

    def _read_template(self, html: str) -> None:
        reader = _PageReader(self.page_url)
        reader.feed(f"<form>{html}</form>")
        self._pending_template = [c for c in reader.forms[0].controls if c.name]


def forms_of(page: Any, url: str = "/") -> list[HtmlForm]:
    """All forms of a page (a test response or its HTML)."""
    if hasattr(page, "get_data"):
        url = (getattr(page, "request", None) and page.request.url) or url
        html = page.get_data(as_text=True)
    else:
        html = page
    reader = _PageReader(url)
    reader.feed(html)
    reader.close()
    return reader.forms


def form_of(
    page: Any, url: str = "/", *, action: str | None = None, css_class: str | None = None
) -> HtmlForm:
    """The one form of a page a user would fill in.

    By default the page's model form (``admin-form``), else its only POST form besides
    the navbar's logout; ``action`` (a substring of the form's action) or ``css_class``
    pick another.
    """
    forms = forms_of(page, url)
    if action is not None:
        chosen = [f for f in forms if action in (f.attrs.get("action") or "")]
    elif css_class is not None:
        chosen = [f for f in forms if css_class in f.attrs.get("class", "").split()]
    else:
        chosen = [f for f in forms if "admin-form" in f.attrs.get("class", "").split()]
        if not chosen:
            chosen = [
                f
                for f in forms
                if f.method == "post" and "logout" not in (f.attrs.get("action") or "")
            ]
    if not chosen:
        raise FormError(f"no such form on the page; forms: {[f.attrs for f in forms]}")
    return chosen[0]


def open_form(client: FlaskClient, url: str, **pick: Any) -> HtmlForm:
    """GET a page as the user opens it and return its form, ready to fill in."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    form = form_of(page, url, **pick)
    form.client = client
    return form
