"""The shared dashboard widgets keep their test hooks and accept values or pairs."""

from pmo_nb.apps.widgets import filter_dropdown, kpi_tile


def test_filter_dropdown_takes_values_or_label_value_pairs():
    plain = filter_dropdown("category", ["IT", "Product"])
    assert plain.options == (("All", ""), ("IT", "IT"), ("Product", "Product"))
    assert plain.value == "" and plain.description == "Category"
    assert {"pmo-filter", "pmo-filter-category"} <= set(plain._dom_classes)
    paired = filter_dropdown("objective", [("Grow revenue", "O1")], all_value="*")
    assert paired.options == (("All", "*"), ("Grow revenue", "O1")) and paired.value == "*"


def test_kpi_tile_classes():
    assert {"pmo-kpi", "pmo-kpi-red"} <= set(kpi_tile("red")._dom_classes)
