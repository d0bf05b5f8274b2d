"""The contacts API.

    GET    /api/contacts?q=            contacts, newest first (keyset pages)
    POST   /api/contacts               create one
    GET    /api/contacts/<id>          one, with the consent of its numbers and addresses
    PATCH  /api/contacts/<id>          change it (phones/emails replace the lists, in order)
    DELETE /api/contacts/<id>          delete it (consent stays with the numbers)
    POST   /api/contacts/<id>/merge    fold another contact into it
    GET    /api/contacts/<id>/timeline SMS, internal messages and emails, newest first
    POST   /api/contacts/import        a CSV file (multipart "file")

Answers are built by contacts.representation; the serializers here validate requests and
describe the answers for the OpenAPI schema.
"""

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from consent import selectors as consent_selectors
from consent.models import ConsentAction, SuppressionReason
from contacts import csv_files, selectors, services
from contacts.models import NAME_MAX_LENGTH, Contact
from contacts.representation import contact_data, contact_detail_data
from core.contacts import CONTACT_MAX_LENGTH
from core.errors import PayloadTooLarge, ValidationError
from team.api import LabelSerializer
from team.models import LABEL_NAME_MAX_LENGTH
from web.pagination import KeysetPagination, page_cursor, page_size_from, page_url_after
from web.schema import PAGE_PARAMETERS, errors, id_parameter, page_of

POINTS_MAX = 50  # numbers (or addresses) per contact in one request
LABELS_MAX = 100  # labels per contact in one request
NOTES_MAX_LENGTH = 20_000


class ContactPointSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="E.164 for a number, lower case for an address.")
    primary = serializers.BooleanField(help_text="The first of its kind: the one used first.")


class ContactSerializer(serializers.ModelSerializer):
    """A contact as every answer shows it (contacts.representation.contact_data)."""

    display_first_name = serializers.CharField(
        source="greeting_name",
        help_text="first_name, or the name's first word when it is blank: for greetings.",
    )
    phones = serializers.SerializerMethodField()
    emails = serializers.SerializerMethodField()
    labels = LabelSerializer(many=True, help_text="By name.")

    class Meta:
        model = Contact
        fields = [
            "id",
            "name",
            "first_name",
            "display_first_name",
            "time_zone",
            "notes",
            "phones",
            "emails",
            "labels",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(ContactPointSerializer(many=True))
    def get_phones(self, contact: Contact) -> list:
        return contact_data(contact)["phones"]

    @extend_schema_field(ContactPointSerializer(many=True))
    def get_emails(self, contact: Contact) -> list:
        return contact_data(contact)["emails"]


class ConsentChangeSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ConsentAction.choices)
    reason = serializers.ChoiceField(choices=SuppressionReason.choices)
    note = serializers.CharField()
    by = serializers.CharField(
        allow_null=True, help_text="The staff member who lifted it by hand; null otherwise."
    )
    at = serializers.DateTimeField()


class ConsentStateSerializer(serializers.Serializer):
    """One number's or address's consent (consent.selectors.consent_by_address)."""

    status = serializers.ChoiceField(choices=["ok", "suppressed"])
    reason = serializers.ChoiceField(choices=SuppressionReason.choices, allow_null=True)
    reason_text = serializers.CharField(allow_null=True, help_text='e.g. "replied STOP".')
    since = serializers.DateTimeField(allow_null=True)
    detail = serializers.CharField(help_text="What the provider said, if anything.")
    history = ConsentChangeSerializer(many=True, help_text="Oldest first.")


class ContactDetailSerializer(ContactSerializer):
    consent = serializers.DictField(
        child=ConsentStateSerializer(),
        help_text="For each number and address (the keys): whether it may be messaged, and "
        "the history of that consent. Consent belongs to the number or address, not to the "
        "contact: deleting or merging contacts keeps it.",
    )

    class Meta(ContactSerializer.Meta):
        fields = [*ContactSerializer.Meta.fields, "consent"]


def _text(max_length: int | None, help_text: str) -> serializers.CharField:
    return serializers.CharField(
        max_length=max_length, required=False, allow_blank=True, help_text=help_text
    )


def _points(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=CONTACT_MAX_LENGTH),
        required=False,
        max_length=POINTS_MAX,
        help_text=f"{help_text} At most {POINTS_MAX}.",
    )


class ContactWriteSerializer(serializers.Serializer):
    """What a create or a change may set. On PATCH, what is left out stays as it is."""

    name = _text(NAME_MAX_LENGTH, "The full name.")
    first_name = _text(NAME_MAX_LENGTH, "Blank: the name's first word is used.")
    time_zone = _text(64, 'An IANA time zone, e.g. "Europe/Dublin"; blank for none.')
    notes = _text(NOTES_MAX_LENGTH, "Anything the team wants to remember.")
    phones = _points(
        "Phone numbers in any common format (stored in E.164), primary first. On PATCH the "
        "list replaces the contact's numbers, in this order."
    )
    emails = _points(
        "Email addresses, primary first. On PATCH the list replaces the contact's "
        "addresses, in this order."
    )
    labels = serializers.ListField(
        child=serializers.CharField(max_length=LABEL_NAME_MAX_LENGTH),
        required=False,
        max_length=LABELS_MAX,
        help_text="Names of existing labels (any case), replacing the contact's labels; "
        "[] takes them all off. An unknown name is a 400: admins create labels on the "
        "Team page.",
    )


class MergeSerializer(serializers.Serializer):
    other = serializers.UUIDField(
        help_text="The contact to fold into this one; it is deleted once merged."
    )


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV in UTF-8 (a byte order mark is fine): a header row naming the columns "
        "name, phone, email, notes (others are ignored), then a row per contact. Several "
        'numbers or addresses in one cell are separated by ";".'
    )


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField(
        help_text="Rows that filled in or added to an existing contact (one that already "
        "had the row's number or address)."
    )
    unchanged = serializers.IntegerField(help_text="Rows the contact already held entirely.")
    refused = inline_serializer(
        "RefusedRow",
        {"line": serializers.IntegerField(), "reason": serializers.CharField()},
        many=True,
    )


class TimelineItemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    channel = serializers.ChoiceField(choices=["sms", "internal", "email"])
    direction = serializers.ChoiceField(choices=["inbound", "outbound"])
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    conversation_id = serializers.UUIDField(
        allow_null=True, help_text="An SMS or internal message's conversation."
    )
    thread_id = serializers.UUIDField(allow_null=True, help_text="An email's thread.")
    to = serializers.CharField()
    subject = serializers.CharField(allow_null=True, help_text="An email's; null otherwise.")
    body = serializers.CharField(help_text="The start of the text, on one line.")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.CharField()  # a Python keyword
        return fields


contact_pages = KeysetPagination(time_field="created_at", results_key="contacts")
_CONTACT_ID = id_parameter("contact")


@extend_schema_view(
    list=extend_schema(
        summary="List contacts, newest first",
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description="Matches a name, an address, or a run of a number's digits "
                '("5552671" or "(415) 555-2671" find +14155552671).',
            ),
            OpenApiParameter(
                "label",
                str,
                description="Only contacts carrying the label of this name (any case).",
            ),
            *PAGE_PARAMETERS,
        ],
        responses={
            200: page_of("ContactPage", "contacts", ContactSerializer),
            **errors(400, 401, 403),
        },
    ),
    create=extend_schema(
        summary="Create a contact",
        request=ContactWriteSerializer,
        responses={
            201: ContactDetailSerializer,
            **errors(400, 401, 403, 409, 413, 415),
        },
    ),
    retrieve=extend_schema(
        summary="One contact, with the consent of its numbers and addresses",
        parameters=[_CONTACT_ID],
        responses={200: ContactDetailSerializer, **errors(401, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Change a contact",
        description="Only the fields sent change. `phones` or `emails` replace that list "
        "in the order given: the first becomes the primary one. `labels` replaces the "
        "contact's labels.",
        parameters=[_CONTACT_ID],
        request=ContactWriteSerializer,
        responses={
            200: ContactDetailSerializer,
            **errors(400, 401, 403, 404, 409, 413, 415),
        },
    ),
    destroy=extend_schema(
        summary="Delete a contact",
        description="Its numbers and addresses go with it; their consent (opt-outs, "
        "bounces) stays, and its conversations stay without a contact.",
        parameters=[_CONTACT_ID],
        responses={204: None, **errors(401, 403, 404)},
    ),
    merge=extend_schema(
        summary="Merge another contact into this one",
        description="The other's numbers and addresses are added after this contact's, both "
        "notes are kept, a blank name, first name or time zone is filled from the other, "
        "and its conversations and email threads move here; then it is deleted. All or "
        "nothing, in one transaction.",
        parameters=[_CONTACT_ID],
        request=MergeSerializer,
        responses={200: ContactDetailSerializer, **errors(400, 401, 403, 404, 409, 413, 415)},
    ),
    timeline=extend_schema(
        summary="Everything said with a contact: SMS, internal messages and emails",
        parameters=[_CONTACT_ID, *PAGE_PARAMETERS],
        responses={
            200: page_of("TimelinePage", "timeline", TimelineItemSerializer),
            **errors(400, 401, 403, 404),
        },
    ),
    import_contacts=extend_schema(
        summary="Import contacts from a CSV file",
        description="A row whose number or address belongs to a contact updates it (fills "
        "a blank name or notes, adds its other numbers and addresses); a row that would "
        "join two contacts, has an invalid number or address, or neither, is refused with "
        "its line. The file is at most CONTACTS_IMPORT_MAX_FILE_SIZE bytes (5 MiB).",
        request={"multipart/form-data": ImportSerializer},
        responses={200: ImportResultSerializer, **errors(400, 401, 403, 413, 415)},
    ),
)
class ContactViewSet(viewsets.GenericViewSet):
    serializer_class = ContactSerializer

    def list(self, request):
        contacts = selectors.contact_list(
            query=request.query_params.get("q", ""),
            label=request.query_params.get("label", ""),
        )
        rows, next_url = contact_pages.paginate(contacts, request)
        return contact_pages.response(list(map(contact_data, rows)), next_url)

    def create(self, request):
        data = _valid(ContactWriteSerializer, request.data)
        contact = services.contact_create(
            name=data.get("name", ""),
            first_name=data.get("first_name", ""),
            time_zone=data.get("time_zone", ""),
            notes=data.get("notes", ""),
            phones=data.get("phones", []),
            emails=data.get("emails", []),
            labels=data.get("labels", []),
        )
        return Response(_detail(contact.id), status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk=None):
        return Response(_detail(pk))

    def partial_update(self, request, pk=None):
        data = _valid(ContactWriteSerializer, request.data)
        contact = services.contact_update(contact_id=pk, **data)
        return Response(_detail(contact.id))

    def destroy(self, request, pk=None):
        services.contact_delete(contact_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"], serializer_class=MergeSerializer)
    def merge(self, request, pk=None):
        data = _valid(MergeSerializer, request.data)
        contact = services.contact_merge(contact_id=pk, other_id=data["other"])
        return Response(_detail(contact.id))

    @action(detail=True, serializer_class=TimelineItemSerializer)
    def timeline(self, request, pk=None):
        """Newest first; "next" leads to older items."""
        size = page_size_from(request)
        items = selectors.contact_timeline(
            contact_id=pk, before=page_cursor(request), limit=size + 1
        )
        next_url = None
        if len(items) > size:
            items = items[:size]
            next_url = page_url_after(request, items[-1]["created_at"], items[-1]["id"])
        return Response({"timeline": items, "next": next_url})

    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        serializer_class=ImportSerializer,
        parser_classes=[parsers.MultiPartParser],
    )
    def import_contacts(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError("Send the CSV file as the multipart field 'file'.", field="file")
        limit = settings.CONTACTS_IMPORT_MAX_FILE_SIZE
        if upload.size > limit:
            raise PayloadTooLarge(
                f"The file is too large: at most {limit} bytes (CONTACTS_IMPORT_MAX_FILE_SIZE).",
                field="file",
            )
        rows = csv_files.read_rows(csv_files.decode(upload.read()))
        result = services.contacts_import(rows=rows)
        return Response(result.as_dict())


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _detail(contact_id) -> dict:
    contact = selectors.contact_get(contact_id=contact_id)
    addresses = [point.value for point in contact.points.all()]
    return contact_detail_data(contact, consent_selectors.consent_by_address(addresses))
