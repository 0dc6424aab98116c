from reportgen.suggest import closest, closest_to_any, did_you_mean, norm


def test_a_name_the_word_starts_beats_a_similar_one() -> None:
    assert closest("recency", ["frequency", "recency_days"]) == "recency_days"
    assert closest("recency", ["frequency", "recency_days"], prefix=False) == "frequency"


def test_spelling_then_spelling_without_case_or_punctuation() -> None:
    assert closest("incme", ["income", "spending"]) == "income"
    assert closest("ANNUAL_INCOME", ["Annual Income (k$)", "Age"]) == "Annual Income (k$)"
    assert closest("zzz", ["income"]) is None


def test_message_or_listing() -> None:
    assert did_you_mean("sensitve", ["column", "sensitive"]) == "Did you mean 'sensitive'?"
    assert did_you_mean("zzz", ["a", "b"], listing="Valid keys") == "Valid keys: a, b."
    assert did_you_mean("zzz", ["a", "b"], listing=None) == ""
    assert did_you_mean("zzz", [f"c{i}" for i in range(35)]).endswith("c29 and 5 more.")


def test_closest_to_any_of_usual_names() -> None:
    assert closest_to_any(("annualincomek", "income"), ["CustomerID", "Annual Incme (k$)"]) == "Annual Incme (k$)"
    assert closest_to_any(("income",), ["CustomerID", "Gender"]) is None
    assert norm("Spending Score (1-100)") == "spendingscore1100"
