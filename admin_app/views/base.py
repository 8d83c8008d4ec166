"""The one secure base view every model screen inherits.

It answers three questions on every endpoint, so a subclass cannot forget them:
may this user open the screen, which rows may they reach (scope, ``get_one``
included), and may they change them — the roles of each screen and action are read from
``admin_app.access.permissions``, the rows from ``admin_app.access.scope``. Every POST of the
panel is checked by one CSRF mechanism, Flask-WTF's (``extensions.csrf``), so model forms
carry no token field of their own: Flask-Admin's templates render the one token once per
form. Domain rules from ``admin_app.lists.validation`` put their messages next to the fields
and keep the typed values.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, ClassVar

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_admin.actions import action
from flask_admin.babel import gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.contrib.sqla.validators import Unique
from flask_admin.form import BaseForm, DatePickerWidget, Select2Field
from flask_admin.model import typefmt
from flask_admin.model.fields import AjaxSelectField
from flask_admin.model.widgets import XEditableWidget
from flask_login import current_user
from sqlalchemy import Enum as SAEnum
from sqlalchemy import and_, inspect, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response
from wtforms import HiddenField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..access.auth import may, may_see_unmasked
from ..access.masking import mask_id_number, mask_phone
from ..access.permissions import CREATE, DELETE, EDIT, READ
from ..access.scope import apply_scope, get_scoped
from ..choices import AuditAction, CodeEnum
from ..extensions import db
from ..reports import columns
from ..util import listing, locking
from ..util.audit import log_event
from ..util.dates import LOCAL_TZ, beijing_minute
from ..util.errors import storage_problem
from ..util.params import parse_count, parse_id, parse_ids, parse_int, parse_page
from ..util.sqlutil import starts_with
from .export import XlsxExportMixin
from .fields import LocalDateField
from .widgets import OptionsFilter

log = logging.getLogger(__name__)

INTEGRITY_MESSAGE = (
    "保存失败：数据与已有记录冲突（例如身份证号重复）或仍被其他记录引用，未作任何修改。"
)


def _enum_label(view: Any, value: CodeEnum, name: str) -> str:
    return value.label


def _bool_label(view: Any, value: bool, name: str) -> str:
    return "是" if value else "否"


def _datetime_label(view: Any, value: dt.datetime, name: str) -> str:
    return beijing_minute(value)


def _ours_first(defaults: dict[type, Any]) -> dict[type, Any]:
    """Our formatters ahead of Flask-Admin's, which it tries in order (first match wins).

    ``CodeEnum`` must precede ``Enum`` (else codes show as ``LOGIN``), and our ``bool``
    must not be replaced by Flask-Admin's, a check icon with the English tooltip
    ``is_dibao: false``. Datetimes are stored as naive UTC and shown in Beijing time to
    the minute, as on the Excel sheets.
    """
    ours: dict[type, Any] = {
        CodeEnum: _enum_label,
        bool: _bool_label,
        dt.datetime: _datetime_label,
    }
    return {**ours, **{kind: fmt for kind, fmt in defaults.items() if kind not in ours}}


LIST_FORMATTERS = _ours_first(typefmt.BASE_FORMATTERS)
DETAIL_FORMATTERS = _ours_first(typefmt.DETAIL_FORMATTERS)


class ChineseXEditableWidget(XEditableWidget):
    """Inline edit whose empty cells read 空, not x-editable's built-in "Empty"."""

    def get_kwargs(self, field: Any, kwargs: dict[str, str]) -> dict[str, str]:
        kwargs = super().get_kwargs(field, kwargs)
        kwargs.setdefault("data-emptytext", "（空）")
        return kwargs


class VersionField(HiddenField):
    """The version of the record the user saw when the form was drawn (``admin_app.util.locking``).

    It is compared with the row's version before a save and never written onto the model:
    the ORM alone counts versions.
    """

    def populate_obj(self, obj: Any, name: str) -> None:
        return None


#: Said when a save carries no version at all (a page from before the upgrade, a script).
NO_VERSION_MESSAGE = "未保存：页面缺少记录版本信息（页面可能已过期），请刷新页面后重新填写保存。"


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """A related-record picker that only offers, and only accepts, rows in the user's scope.

    Matches by prefix so that a picker over 100,000 children is answered from an index
    and returns one page, never the table.
    """

    def __init__(self, name: str, session: Any, model: type, **options: Any) -> None:
        #: Optional ``term -> criterion`` for pickers that search a related table.
        self.search = options.pop("search", None)
        super().__init__(name, session, model, **options)

    def get_query(self) -> Any:
        return apply_scope(super().get_query(), self.model, current_user)

    def get_one(self, pk: Any) -> Any:
        with db.session.no_autoflush:
            return get_scoped(db.session, self.model, pk, current_user)

    def get_list(self, term: str, offset: int = 0, limit: int = 10) -> list[Any]:
        # Flask-Admin passes ?offset= and ?limit= as the browser sent them (any int).
        offset = parse_count(offset) or 0
        limit = parse_int(limit, 1, 100) or 10
        query = self.get_query()
        term = (term or "").strip()
        if term and self.search is not None:
            query = query.filter(self.search(term))
        elif term:
            query = query.filter(or_(*(starts_with(field, term) for field in self._cached_fields)))
        if self.order_by:
            query = query.order_by(self.order_by)
        return query.offset(offset).limit(limit).all()

    def format(self, model: Any) -> tuple[Any, str] | None:
        if model is None:
            return None
        label = getattr(model, "picker_label", None)
        return getattr(model, self.pk), label if label else str(model)


class ScopedAjaxSelectField(AjaxSelectField):
    """Refuses a submitted id that the scoped picker cannot find, instead of clearing it."""

    def pre_validate(self, form: Any) -> None:
        submitted = self._formdata
        if submitted not in (None, "", "__None") and self.data is None:
            raise ValidationError("所选记录不存在或不在您的管辖范围内")
        super().pre_validate(form)


#: Days a date filter takes: Beijing midnight of each is still a valid UTC datetime
#: (``date.fromisoformat`` takes 0001-01-01 and 9999-12-31, whose neighbours overflow).
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9998, 12, 31)


def _parse_day(value: str) -> dt.date:
    day = dt.date.fromisoformat(value.strip())
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(value)
    return day


class DayFilter(BaseSQLAFilter):
    """A date column compared with one typed or picked day (a native date input)."""

    compare: ClassVar[Callable[[Any, dt.date], Any]]
    label: ClassVar[str]

    def __init__(self, column: Any, name: str, options: Any = None, data_type: Any = None):
        # "datepicker" is turned into <input type="date"> by panel.js.
        super().__init__(column, name, options, data_type="datepicker")

    def validate(self, value: str) -> bool:
        try:
            _parse_day(value)
        except ValueError:
            return False
        return True

    def clean(self, value: str) -> dt.date:
        return _parse_day(value)

    def apply(self, query: Any, value: dt.date, alias: Any = None) -> Any:
        return query.filter(type(self).compare(self.get_column(alias), value))

    def operation(self) -> str:
        return self.label


class DayEqualFilter(DayFilter):
    compare = staticmethod(lambda column, day: column == day)
    label = "为"


class DayFromFilter(DayFilter):
    compare = staticmethod(lambda column, day: column >= day)
    label = "从（含）"


class DayUntilFilter(DayFilter):
    compare = staticmethod(lambda column, day: column <= day)
    label = "至（含）"


def _utc_start(day: dt.date) -> dt.datetime:
    """The naive UTC instant at which a Beijing calendar day begins (times are kept in UTC)."""
    local = dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


class InstantOnDayFilter(DayEqualFilter):
    """A timestamp column filtered by the Beijing calendar day a user types."""

    def apply(self, query: Any, value: dt.date, alias: Any = None) -> Any:
        column = self.get_column(alias)
        start, end = _utc_start(value), _utc_start(value + dt.timedelta(days=1))
        return query.filter(column >= start, column < end)


class InstantFromDayFilter(DayFromFilter):
    def apply(self, query: Any, value: dt.date, alias: Any = None) -> Any:
        return query.filter(self.get_column(alias) >= _utc_start(value))


class InstantUntilDayFilter(DayUntilFilter):
    def apply(self, query: Any, value: dt.date, alias: Any = None) -> Any:
        end = _utc_start(value + dt.timedelta(days=1))
        return query.filter(self.get_column(alias) < end)


class PanelFilterConverter(sqla_filters.FilterConverter):
    """Date and time filters take one day each, typed or picked in a native date input.

    Flask-Admin's range filters need its English range picker and ``a to b`` strings;
    a range here is two filters (从 … 至 …). Timestamps are filtered by Beijing days.
    """

    date_filters = (DayEqualFilter, DayFromFilter, DayUntilFilter, sqla_filters.FilterEmpty)
    datetime_filters = (
        InstantOnDayFilter,
        InstantFromDayFilter,
        InstantUntilDayFilter,
        sqla_filters.FilterEmpty,
    )


class RoleGuard:
    """Who may open a screen: anonymous users are sent to log in, other roles get 403.

    The roles are the ``read`` row of the screen's endpoint in ``admin_app.access.permissions``.
    """

    endpoint: str

    def is_accessible(self) -> bool:
        return may(self.endpoint, READ)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        if not current_user.is_authenticated:
            return redirect(url_for("admin.login_view", next=request.full_path))
        abort(403)


class SecureView(RoleGuard, BaseView):
    """The secure base of screens that are not a table's CRUD (rankings, reports)."""


class SecureModelView(XlsxExportMixin, RoleGuard, ModelView):
    # No token field here: a second token per form (SecureForm's beside the page's) made
    # every browser save fail, since a field takes the first of the values posted.
    form_base_class = BaseForm
    can_view_details = True
    can_set_page_size = True
    # The pager says 第 x / 共 y 页 and the row count, and has a box to type a page into.
    list_template = "admin/model/paged_list.html"
    page_size = 20
    page_size_options = (20, 50, 100, 200)
    details_modal = False
    edit_modal = False
    create_modal = False
    column_display_pk = False
    column_type_formatters = LIST_FORMATTERS
    column_type_formatters_detail = DETAIL_FORMATTERS
    # Lists only fetch what they display; relationships load per page, not per table.
    column_display_all_relations = False
    filter_converter = PanelFilterConverter()

    #: Columns shown masked to roles that may not read ID or phone numbers.
    masked_id_columns: ClassVar[tuple[str, ...]] = ()
    masked_phone_columns: ClassVar[tuple[str, ...]] = ()
    #: Fields whose presence and uniqueness the domain rule checks, with a better message
    #: than WTForms' (e.g. a duplicate ID number names the village that holds it).
    domain_checked_fields: ClassVar[tuple[str, ...]] = ()
    #: The domain rule for this model: ``check(session, obj) -> {field: message}``.
    domain_check: ClassVar[Callable[..., dict[str, str]] | None] = None

    def __init__(self, model: type, session: Any, **kwargs: Any) -> None:
        # Enumerations are offered with their Chinese labels and saved as their codes.
        enum_choices = {
            attr.key: attr.columns[0].type.enum_class.choices()
            for attr in inspect(model).column_attrs
            if isinstance(attr.columns[0].type, SAEnum)
            and issubclass(attr.columns[0].type.enum_class or object, CodeEnum)
        }
        self.form_choices = {**enum_choices, **dict(self.form_choices or {})}
        # Details pages show every column unless told otherwise: created_at reads 创建时间.
        self.column_labels = {**columns.common_labels(), **dict(self.column_labels or {})}
        self.column_formatters = {**self._mask_formatters(), **dict(self.column_formatters or {})}
        self.column_formatters_detail = {
            **self._mask_formatters(),
            **dict(self.column_formatters_detail or self.column_formatters),
        }
        super().__init__(model, session, **kwargs)

    def scaffold_form(self) -> Any:
        form_class = super().scaffold_form()
        for unbound in vars(form_class).values():
            if getattr(unbound, "field_class", None) is AjaxSelectField:
                unbound.field_class = ScopedAjaxSelectField
            if isinstance(getattr(unbound, "kwargs", {}).get("widget"), DatePickerWidget):
                # The one date input of the panel: native, typed or picked.
                unbound.field_class = LocalDateField
                del unbound.kwargs["widget"]
        for name in self.domain_checked_fields:
            unbound = getattr(form_class, name, None)
            if unbound is None:
                continue
            kept = [
                v
                for v in unbound.kwargs.get("validators", [])
                if not isinstance(v, InputRequired | DataRequired | Length | Unique)
            ]
            unbound.kwargs["validators"] = [Optional(), *kept]
            if issubclass(unbound.field_class, Select2Field):
                unbound.kwargs["allow_blank"] = True
        return form_class

    def get_edit_form(self) -> Any:
        """The edit form, carrying the version of the record as the user opened it."""
        form_class = super().get_edit_form()
        if not issubclass(self.model, locking.Versioned):
            return form_class
        return type(form_class.__name__, (form_class,), {locking.VERSION_FIELD: VersionField()})

    def get_list_form(self) -> Any:
        """The inline-edit form, with Chinese text for empty cells and the row's version."""
        validators = {
            key: {"validators": value["validators"]}
            for key, value in (self.form_args or {}).items()
            if value.get("validators")
        }
        form_class = self.scaffold_list_form(widget=ChineseXEditableWidget(), validators=validators)
        # A list page draws one form per row: without the version field, which the page
        # never draws (the cell carries ``data-version``), it costs a field less each.
        self._list_display_form_class = form_class
        if issubclass(self.model, locking.Versioned):
            form_class = type(
                form_class.__name__, (form_class,), {locking.VERSION_FIELD: VersionField()}
            )
        return form_class

    def list_form(self, obj: Any = None) -> Any:
        """Each editable cell carries its row's version (``data-version``); panel.js posts it
        with the inline edit, as an edit form posts its hidden field."""
        if obj is None:  # an inline edit posted: the form that reads it, version and all
            return super().list_form(obj)
        form = self._list_display_form_class(None, obj=obj)
        if locking.is_versioned(obj):
            version = {"data-version": obj.version}
            for name in self.column_editable_list:
                field = form[name]
                field.render_kw = {**field.render_kw, **version} if field.render_kw else version
        return form

    def record_heading(self, model: Any) -> tuple[str, str] | None:
        """Whom an edit page edits (name, where it belongs), shown above the form.

        A form of 35 fields whose name box may be scrolled away, or removed for a role
        that may not change it (a school edits only enrolment), otherwise never says
        whose record it is.
        """
        return None

    # --- Access ------------------------------------------------------------------------

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        """Refuse with 403, not a silent redirect, a write the role may not make."""
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response
        allowed = {
            "create_view": self.can_create,
            "edit_view": self.can_edit,
            "ajax_update": self.can_edit,
            "delete_view": self.can_delete,
        }.get(name, True)
        if not allowed:
            abort(403)
        return None

    # Create, edit and delete (within the user's scope): the screen's rows of the table.

    @property
    def can_create(self) -> bool:
        return may(self.endpoint, CREATE)

    @property
    def can_edit(self) -> bool:
        return may(self.endpoint, EDIT)

    @property
    def can_delete(self) -> bool:
        return may(self.endpoint, DELETE)

    # --- Scope -------------------------------------------------------------------------

    def get_query(self) -> Any:
        return apply_scope(super().get_query(), self.model, current_user)

    def get_count_query(self) -> Any:
        return apply_scope(super().get_count_query(), self.model, current_user)

    def get_list(
        self,
        page: int | None,
        sort_column: Any,
        sort_desc: bool,
        search: str | None,
        filters: Any,
        execute: bool = True,
        page_size: int | None = None,
    ) -> tuple[int | None, Any]:
        """Flask-Admin's ``get_list``, with the count and the page window of ``listing``.

        A list of hundreds of thousands of rows is counted from the planner's estimate on
        PostgreSQL (the pager says 约), and a page in its second half is read backwards
        from the end, so that the last page costs what the first does. Rows with equal
        sort values are ordered by id, so that a page is the same page every time and
        reads the same backwards.
        """
        joins: dict[Any, Any] = {}
        count_joins: dict[Any, Any] = {}
        query = self.get_query()
        count_query = None if self.simple_list_pager else self.get_count_query()
        if self._search_supported and search:
            query, count_query, joins, count_joins = self._apply_search(
                query, count_query, joins, count_joins, search
            )
        if filters and self._filters:
            query, count_query, joins, count_joins = self._apply_filters(
                query, count_query, joins, count_joins, filters
            )
        counted = listing.count_rows(count_query) if count_query is not None else None
        g.list_count_estimated = counted is not None and counted.estimated
        for relation in self._auto_joins:
            query = query.options(joinedload(relation))
        size = self.page_size if page_size is None else page_size
        window = listing.page_window(
            page or 0,
            size or 0,
            counted.rows if counted else 0,
            estimated=counted is not None and counted.estimated,
        )
        g.list_read_from_end = window.from_end
        try:
            query, joins = self._apply_sorting(query, joins, sort_column, sort_desc)
        finally:
            g.list_read_from_end = False
        if hasattr(self.model, "id"):
            tie_break = self.model.id.asc() if window.from_end else self.model.id.desc()
            query = query.order_by(tie_break)
        if size:
            query = query.limit(window.limit).offset(window.offset)
        if not execute:
            return (counted.rows if counted else None), query
        rows = query.all()
        if window.from_end:
            rows.reverse()
        return (counted.rows if counted else None), rows

    def _order_by(
        self, query: Any, joins: Any, sort_joins: Any, sort_field: Any, sort_desc: bool
    ) -> Any:
        # A page read from the end (``get_list``) sorts every key the other way round.
        if g.get("list_read_from_end"):
            sort_desc = not sort_desc
        return super()._order_by(query, joins, sort_joins, sort_field, sort_desc)

    def get_one(self, id: Any) -> Any:
        """Fetch through the scoped query: Flask-Admin's own ``get_one`` ignores it.

        An id that is not a record id (over 2^31−1, negative, text) is a 404 like a
        missing record, not a database error.
        """
        record = get_scoped(db.session, self.model, id, current_user)
        if record is None:
            abort(404)
        return record

    @expose("/")
    def index_view(self) -> Any:
        """The list. A page typed into the pager's box (``goto``, counted from 1 as people
        count) is sent on to the list's own address for that page: the address bar, the
        pager's links and the page's other forms then say ``page`` as every link does."""
        if "goto" in request.args:
            return redirect(self._get_list_url(self._get_list_extra_args()))
        return super().index_view()

    def _get_list_extra_args(self) -> Any:
        """The list's page (or the page typed into the pager's box), page size and sort, read
        through the bounded parser.

        Flask-Admin reads them with ``type=int``: ``page=-1`` became a negative OFFSET
        (PostgreSQL refuses it) and a page over 2^63 overflowed. A page that is not a
        page number shows the first page, as a page of text always did.
        """
        args = super()._get_list_extra_args()
        args.page = parse_page(request.args.get("page"), first=0) or 0
        # The pager's jump box sends the page as people count it, from 1.
        goto = parse_page(request.args.get("goto"))
        if goto is not None:
            args.page = goto - 1
        args.extra_args.pop("goto", None)
        args.page_size = parse_count(request.args.get("page_size")) or 0
        args.sort = parse_count(request.args.get("sort"))
        args.sort_desc = parse_count(request.args.get("desc"), high=1)
        return args

    def _get_filter_groups(self) -> Any:
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                flt = self._filters[item["index"]]
                if isinstance(flt, OptionsFilter):
                    item["options"] = flt.get_options(self)
        return groups

    def filter_arg(self, name: str, position: int = 0) -> str:
        """The URL argument of the filter called ``name``, for links such as the dashboard's.

        ``position`` orders several filters in one link (``flt0_…``, ``flt1_…``).
        """
        for index, flt in enumerate(self._filters or ()):
            if str(flt.name) == name:
                return f"flt{position}_{self.get_filter_arg(index, flt)}"
        raise KeyError(name)

    def _create_ajax_loader(self, name: str, options: dict[str, Any]) -> ScopedAjaxLoader:
        remote = getattr(self.model, name).property.mapper.class_
        options = {
            "minimum_input_length": 0,
            "page_size": 10,
            "placeholder": "请选择（可输入开头几个字查找）",
            **options,
        }
        return ScopedAjaxLoader(name, self.session, remote, **options)

    # --- Search: exact and prefix matches that an index can answer ------------------------

    def search_criterion(self, term: str) -> Any:
        """SQL for one search term; None where the screen has no search."""
        return None

    def init_search(self) -> bool:
        self._search_supported = type(self).search_criterion is not (
            SecureModelView.search_criterion
        )
        return self._search_supported

    def search_placeholder(self) -> str | None:
        return getattr(self, "search_hint", "搜索")

    def get_empty_list_message(self) -> str:
        """An empty result says what was searched and how this list can be searched, so a
        clerk who typed a character from the middle of a name knows why nothing came."""
        term = (request.args.get("search") or "").strip()
        if term and getattr(self, "_search_supported", False):
            return (
                f"没有找到与“{term[:50]}”相符的记录。本列表可按{self.search_placeholder()}查找"
                "（姓名须从第一个字输起，如“王”“王小”）；如有筛选条件，也请检查筛选。"
            )
        if any(key.startswith("flt") for key in request.args):
            return "没有符合筛选条件的记录。"
        return "暂无记录。"

    def _apply_search(
        self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str
    ) -> Any:
        # PostgreSQL refuses NUL in text parameters: a term can never match one anyway.
        terms = search.replace("\x00", "").split()
        criteria = [self.search_criterion(term) for term in terms if term]
        if criteria:
            query = query.filter(and_(*criteria))
            if count_query is not None:
                count_query = count_query.filter(and_(*criteria))
        return query, count_query, joins, count_joins

    # --- Masking -------------------------------------------------------------------------

    @expose("/details/")
    def details_view(self) -> Any:
        response = super().details_view()
        self._audit_sensitive_view()
        return response

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        response = super().edit_view()
        if request.method == "GET":
            self._audit_sensitive_view()
        return response

    def _audit_sensitive_view(self) -> None:
        """Opening a record with its full ID or phone numbers is written to the audit log.

        Who read which child's full ID number is what an inquiry after a leak asks; masked
        roles see no full number and leave no entry.
        """
        if not (self.masked_id_columns or self.masked_phone_columns) or not may_see_unmasked():
            return
        record_id = parse_id(request.args.get("id"))
        if record_id is None:
            return
        log_event(
            AuditAction.VIEW_SENSITIVE,
            user_id=current_user.id,
            username=current_user.username,
            table_name=self.model.__tablename__,
            record_id=str(record_id),
            note="打开记录（含完整身份证号、电话）",
        )

    def _mask_formatters(self) -> dict[str, Callable[..., Any]]:
        def masked(mask: Callable[[str], str]) -> Callable[..., Any]:
            def formatter(view: Any, context: Any, model: Any, name: str) -> Any:
                value = getattr(model, name)
                if value is None:
                    return ""
                return value if may_see_unmasked() else mask(value)

            return formatter

        formatters: dict[str, Callable[..., Any]] = {}
        for name in self.masked_id_columns:
            formatters[name] = masked(mask_id_number)
        for name in self.masked_phone_columns:
            formatters[name] = masked(mask_phone)
        return formatters

    # --- Validation and saving -----------------------------------------------------------

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        # An empty choice arrives as "", which no enumeration column accepts: it means "none".
        for key in self.form_choices:
            if getattr(model, key, None) == "":
                setattr(model, key, None)
        check = type(self).domain_check
        if check is None:
            return
        # Lazy loads inside the rule must not flush the half-checked row into a constraint.
        with db.session.no_autoflush:
            errors = check(db.session, model)
        if errors:
            self.attach_errors(form, errors)
            raise ValidationError("未保存，请改正以下问题：" + "；".join(errors.values()))

    @staticmethod
    def attach_errors(form: Any, errors: dict[str, str]) -> None:
        """Put each message under its field, where the user typed the value."""
        for name, message in errors.items():
            field = _find_field(form, name)
            if field is not None:
                field.errors = [*field.errors, message]

    def update_model(self, form: Any, model: Any) -> bool:
        """Save an edit, unless it was made from an outdated version of the record.

        The form's version (the one the user saw) must be the row's current one; a flush
        that finds the row changed meanwhile (``StaleDataError``, a save in flight at the
        same moment) is refused the same way. The refusal lists what differs and keeps the
        user's typing; the form then carries the current version, so saving again after
        reading the message is a deliberate overwrite.
        """
        session = db.session
        if locking.is_versioned(model):
            # Only what was posted counts: a field missing from the post would fall back
            # to the record's own (current) version and pass every check.
            posted = _find_field(form, locking.VERSION_FIELD)
            raw = posted.raw_data if posted is not None else None
            seen = locking.parse_version(raw[0]) if raw else None
            if seen is None:
                flash(NO_VERSION_MESSAGE, "error")
                return False
            if seen != model.version:
                return self._refuse_stale(form, model)
        try:
            form.populate_obj(model)
            self._on_model_change(form, model, False)
            session.commit()
        except StaleDataError:
            session.rollback()
            return self._refuse_stale(form, model)
        except Exception as exc:
            if not self.handle_view_exception(exc):
                flash(gettext("Failed to update record. %(error)s", error=str(exc)), "error")
                log.exception("Failed to update record.")
            session.rollback()
            return False
        self.after_model_change(form, model, False)
        return True

    def _refuse_stale(self, form: Any, model: Any) -> bool:
        """Flash what the user's save would change in the current record; write nothing."""
        session = db.session
        names = [field.name for field in form if field.name != locking.VERSION_FIELD]
        labels = {field.name: str(field.label.text) for field in form}
        current = locking.snapshot(model, names)
        try:
            with session.no_autoflush:
                form.populate_obj(model)
                mine = locking.snapshot(model, names)
        except Exception:  # a form that cannot even be applied differs in ways not listed
            mine = {}
        session.rollback()
        changes = locking.differences(current, mine, labels)
        message = locking.stale_message(changes, locking.last_saved_by(session, model))
        session.rollback()
        form[locking.VERSION_FIELD].data = str(model.version)
        flash(message, "error")
        return False

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, ValidationError):
            flash(str(exc), "error")
            return True
        if isinstance(exc, IntegrityError):
            flash(INTEGRITY_MESSAGE, "error")
            return True
        # A full disk or a stopped database: the form stays with the typing, in Chinese.
        problem = storage_problem(exc)
        if problem is not None:
            flash(problem, "error")
            return True
        return super().handle_view_exception(exc)

    @action("delete", "删除", "确定要删除所选记录吗？")
    def action_delete(self, ids: Any) -> None:
        """Bulk delete through the scoped query, with ids typed as the key column is.

        PostgreSQL refuses to compare an integer key with the strings a form posts.
        """
        super().action_delete(tuple(parse_ids(ids)))

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self) -> Any:
        """Inline edit; Flask-Admin answers refusals with HTTP 500, we answer 400.

        The edit must carry the version the list page showed (``update_model`` refuses it
        otherwise); a successful one answers the row's new version in ``X-Record-Version``
        so the page's other cells of that row can be edited next.
        A post without the record's id (``list_form_pk``) made Flask-Admin fail on the
        field it had just removed from the form.
        """
        if parse_id(request.form.get("list_form_pk")) is None:
            return "未保存：缺少或无效的记录编号。", 400
        result = super().ajax_update()
        if isinstance(result, tuple) and result[1] == 500:
            return result[0], 400
        response = make_response(result)
        if issubclass(self.model, locking.Versioned) and response.status_code == 200:
            record = self.get_one(request.form.get("list_form_pk"))
            response.headers["X-Record-Version"] = str(record.version)
        return response


def _find_field(form: Any, name: str) -> Any:
    return form[name] if name in form else None  # noqa: SIM401 - WTForms forms have no get()
