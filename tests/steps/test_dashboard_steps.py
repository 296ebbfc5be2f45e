"""The dashboard's step figures: where dossiers wait now, which steps were late most (by unit and department, by
official), each number opening its dossiers in the list."""

import lxml.html
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.steps.conftest import seen, table_rows

MARCH = {"ky": "thang", "nam": "2024", "thang": "3", "don_vi": "DBD"}


def links(response, table_class):
    """{(row head, column index): href} of the links in a table's body."""
    tree = lxml.html.fromstring(response.content.decode())
    (table,) = tree.xpath(f"//table[contains(concat(' ', @class, ' '), ' {table_class} ')]")
    found = {}
    for row in table.xpath("./tbody/tr"):
        cells = row.xpath("./td|./th")
        for index, cell in enumerate(cells):
            for anchor in cell.xpath(".//a"):
                found[(cells[1].text_content().strip(), index)] = anchor.get("href")
    return found


def listed(client, href):
    """The dossier codes the list shows at that address."""
    tree = lxml.html.fromstring(client.get(href).content.decode())
    return {
        anchor.text_content().strip()
        for anchor in tree.xpath("//table[contains(@class, 'dossiers')]//td[@class='code']/a")
    }


def test_the_office_sees_where_dossiers_wait_and_which_steps_were_late(client, stepped, cast, now):
    client.login(username=cast["office"].username, password=PASSWORD)
    response = client.get(reverse("reports:index"), MARCH)
    assert response.status_code == 200
    assert "Hồ sơ đang chờ ở đâu (đến lúc xem)" in seen(response)
    # Now (10/04): B with the specialist, overdue; G at the desk and F at Keo Lôm's specialists, nobody took them up.
    assert table_rows(response, "waiting-by-step") == [
        ["UBND xã Pú Hồng", "Thẩm định, giải quyết hồ sơ", "1", "0", "1"],
        ["UBND xã Pú Hồng", "Trả kết quả", "1", "1", "0"],
        ["UBND xã Keo Lôm", "Thẩm định, giải quyết hồ sơ", "1", "1", "0"],
    ]
    assert table_rows(response, "waiting-by-person") == [
        ["UBND xã Pú Hồng", "Quàng Văn Chuyên", "1", "1"],
        ["UBND xã Pú Hồng", "Chưa có người nhận", "1", "0"],
        ["UBND xã Keo Lôm", "Chưa có người nhận", "1", "0"],
    ]
    # March: the most late or held overdue first, then by hours; Keo Lôm's desk, never late, is not listed.
    assert table_rows(response, "late-by-department") == [
        ["UBND xã Pú Hồng", "Bộ phận chuyên môn", "5", "2", "2,5", "1", "2"],
        ["UBND xã Pú Hồng", "Bộ phận Một cửa", "6", "1", "1,5", "0", "0"],
    ]
    assert table_rows(response, "late-by-person") == [
        ["UBND xã Pú Hồng", "Quàng Văn Chuyên", "2", "1", "1,0", "1", "2"],
        ["UBND xã Pú Hồng", "Lò Văn A", "6", "1", "1,5", "0", "0"],
        ["UBND xã Pú Hồng", "Nguyễn Văn Nhập", "2", "1", "1,5", "0", "0"],
    ]


def test_each_step_figure_opens_its_dossiers(client, stepped, cast, now):
    client.login(username=cast["office"].username, password=PASSWORD)
    response = client.get(reverse("reports:index"), MARCH)
    a, b, g = stepped["A"].code, stepped["B"].code, stepped["G"].code
    waiting = links(response, "waiting-by-person")
    assert listed(client, waiting[("Quàng Văn Chuyên", 3)]) == {b}
    late = links(response, "late-by-person")
    # The specialist's late step in March was A's; B's he sent back.
    assert listed(client, late[("Quàng Văn Chuyên", 3)]) == {a}
    assert listed(client, late[("Quàng Văn Chuyên", 5)]) == {b}
    assert listed(client, late[("Nguyễn Văn Nhập", 3)]) == {"PH-NHAP-1"}
    departments = links(response, "late-by-department")
    assert listed(client, departments[("Bộ phận Một cửa", 2)]) == {a, b, stepped["D"].code, g}
    list_page = client.get(late[("Quàng Văn Chuyên", 3)])
    assert (
        "Hồ sơ có bước hoàn thành trễ hạn, từ ngày 01/03/2024 đến ngày 31/03/2024 — UBND xã Pú Hồng, Quàng Văn Chuyên"
        in seen(list_page)
    )


def test_a_desk_officer_sees_only_their_own_commune(client, stepped, cast, now):
    client.login(username=cast["desk_keo_lom"].username, password=PASSWORD)
    response = client.get(reverse("reports:index"), {**MARCH, "don_vi": "DBD-KL"})
    assert table_rows(response, "waiting-by-step") == [
        ["UBND xã Keo Lôm", "Thẩm định, giải quyết hồ sơ", "1", "1", "0"]
    ]
    assert "Không có bước xử lý nào trễ hạn" in seen(response)
    # A step filter can only narrow what the officer may see: Pú Hồng's specialist lists nothing here.
    specialist = stepped["B"].open_step().holder_id
    found = client.get(reverse("cases:dossier_list"), {"buoc_tt": "dang_giu", "nguoi_xu_ly": specialist})
    assert "Không có hồ sơ nào phù hợp." in seen(found)


def test_the_office_sees_satisfaction_by_official(client, rated, cast, now):
    """Each rating counts for every official who held a step of its dossier (reports.figures.satisfaction)."""
    client.login(username=cast["office"].username, password=PASSWORD)
    response = client.get(reverse("reports:index"), MARCH)
    assert table_rows(response, "satisfaction-by-person") == [
        ["UBND xã Pú Hồng", "Lò Văn A", "2", "1", "1", "50,00%"],
        ["UBND xã Pú Hồng", "Nguyễn Văn Nhập", "2", "1", "1", "50,00%"],
        ["UBND xã Pú Hồng", "Quàng Văn Chuyên", "1", "1", "0", "100,00%"],
    ]
