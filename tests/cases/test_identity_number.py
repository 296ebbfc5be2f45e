"""The applicant's CCCD or an organisation's tax code: validated at receipt, searched by its beginning."""

import pytest
import time_machine

from cases.core import contact
from cases.models import Dossier
from tests.conftest import vn

RECEIPT = {"applicant_name": "Giàng A Páo", "channel": "truc_tiep", "code": ""}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("011 090 000 123", "011090000123"), ("0101234567", "0101234567"), ("0101234567-001", "0101234567-001"), ("", "")],
)
def test_a_cccd_or_a_tax_code_is_accepted(typed, stored):
    assert contact.identity(typed) == stored


@pytest.mark.parametrize("typed", ["01109000012", "0110900001234", "01109000012a", "0101234567-01", "١٢٣٤٥٦٧٨٩٠١٢"])
def test_anything_else_is_refused(typed):
    with pytest.raises(contact.Invalid, match="không phải số định danh hợp lệ"):
        contact.identity(typed)


def test_the_desk_records_the_number_and_finds_the_dossier_by_its_beginning(client, units, procedures, cast):
    client.force_login(cast["desk_pu_hong"])

    def receive(number):
        data = {**RECEIPT, "procedure": procedures["land"].pk, "applicant_id_number": number}
        return client.post("/tiep-nhan/", data)

    with time_machine.travel(vn(2024, 3, 4, 9), tick=False):
        refused = receive("123")
        assert "không phải số định danh hợp lệ" in refused.content.decode() and not Dossier.objects.exists()
        receive("011090000123")
        receive("0101234567")
        with_cccd = Dossier.objects.get(applicant_id_number="011090000123")
        assert "011090000123" in client.get(f"/ho-so/{with_cccd.code}/").content.decode()
        found = client.get("/ho-so/", {"id_number": "011 090"})
    assert [d.code for d in found.context["page"].object_list] == [with_cccd.code]
