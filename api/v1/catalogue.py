"""The catalogue a client needs to send a dossier: units (its subtree), and who it is."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.catalogue.models import Unit
from cases.desk import access


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Unit
        fields = ["code", "name", "level", "kind", "parent", "valid_from", "valid_to"]


class UnitList(ListAPIView):
    """The units in the client's scope (its unit and every unit below), in tree order."""

    serializer_class = UnitSerializer
    pagination_class = None

    def get_queryset(self):
        return access.visible_units(self.request.user).select_related("parent").order_by("path")


class ClientSerializer(serializers.Serializer):
    name = serializers.CharField()
    unit = serializers.CharField(source="unit.code")
    scopes = serializers.ListField(child=serializers.CharField())


class WhoAmI(APIView):
    """The client the key belongs to: its name, its unit and what it may do."""

    @extend_schema(responses=ClientSerializer)
    def get(self, request):
        client = request.auth
        scopes = [scope for scope in ("read", "receive", "act") if client.allows(scope)]
        return Response(ClientSerializer({"name": client.name, "unit": client.unit, "scopes": scopes}).data)


class NoSuchAddress(APIView):
    """Any other address under /api/v1/: a JSON 404 (after the key is checked), never the site's HTML page."""

    schema = None

    def _not_found(self, request, *args, **kwargs):
        from rest_framework.exceptions import NotFound

        raise NotFound("Không có địa chỉ này trong API v1.")

    get = post = put = patch = delete = _not_found
