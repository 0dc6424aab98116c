import pytest
from pydantic import ValidationError

from reportgen.schema import Strict, first_error, keys_at, message, unknown_key


class Level(Strict):
    cuts: list[float]
    names: list[str] = []


class Book(Strict):
    levels: dict[str, Level]
    title: str = ""


def test_unknown_key_is_told_first_with_the_keys_allowed_there() -> None:
    with pytest.raises(ValidationError) as caught:
        Book.model_validate({"levels": {"income": {"cutz": [1.0]}}})
    error = first_error(caught.value)
    assert unknown_key(error) and error["loc"] == ("levels", "income", "cutz")
    assert keys_at(Book, error["loc"]) == ["cuts", "names"]
    assert keys_at(Book, ("titel",)) == ["levels", "title"]


def test_no_infinite_numbers_and_frozen() -> None:
    with pytest.raises(ValidationError) as caught:
        Level.model_validate({"cuts": [float("inf")]})
    assert message(first_error(caught.value)) == "Input should be a finite number"
    with pytest.raises(ValidationError):
        Level(cuts=[1.0]).cuts = [2.0]  # type: ignore[misc]
