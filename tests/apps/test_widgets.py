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


def test_money_field_shows_the_amount_it_read_or_that_it_read_none():
    from pmo_nb.apps.widgets import MoneyField

    field = MoneyField("pmo-x-budget", "Budget", style={})
    assert field.hint.value == "" and "pmo-x-budget" in field.text._dom_classes
    field.value = "€2.5M"
    assert field.hint.value == "= 2,500,000"
    field.value = "2,5m"
    assert "not an amount" in field.hint.value and "2.5m" in field.hint.value
    field.value = "<b>1k</b>"  # what is typed never becomes markup
    assert "<b>" not in field.hint.value


def test_choice_with_other_warns_that_a_new_category_is_new():
    from pmo_nb.apps.widgets import OTHER, ChoiceWithOther

    choice = ChoiceWithOther("pmo-x-category", "Category", ["IT", "Product"],
                             warning="{} starts a new reference class", style={})
    assert [v for _, v in choice.dropdown.options] == ["", "IT", "Product", OTHER]
    choice.value = "IT"
    assert (choice.value, choice.hint.value, choice.other.layout.display) == ("IT", "", "none")
    choice.value = "Facilities"
    assert choice.dropdown.value == OTHER and choice.value == "Facilities"
    assert choice.other.layout.display is None
    assert "Facilities starts a new reference class" in choice.hint.value
    choice.other.value = "it"  # a known one typed again: point at it instead
    assert "IT exists already" in choice.hint.value


def test_name_field_takes_a_new_name_with_a_warning():
    from pmo_nb.apps.widgets import NameField

    field = NameField("pmo-x-sponsor", "Sponsor", ["B. Boss", "A. Sponsor", "A. Sponsor"],
                      warning="{} is not a known person", style={})
    assert field.combobox.options == ("A. Sponsor", "B. Boss")
    field.value = "A. Sponsor"
    assert field.hint.value == ""
    field.value = "A. Sponsr"
    assert field.value == "A. Sponsr" and "A. Sponsr is not a known person" in field.hint.value
