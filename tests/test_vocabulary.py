from reportgen.vocabulary import CUSTOMER_COLUMNS, ORDER_COLUMNS, find_column, usual_names


def test_usual_names_in_order_of_preference() -> None:
    header = ["Customer ID", "InvoiceNo", "Invoice Date", "Date", "Qty", "UnitPrice"]
    assert find_column(ORDER_COLUMNS["date"], header) == "Invoice Date"
    assert find_column(ORDER_COLUMNS["quantity"], header) == "Qty"
    assert find_column(ORDER_COLUMNS["amount"], header) is None


def test_mall_columns_and_a_name_that_stands_for_itself() -> None:
    header = ["CustomerID", "Genre", "Age", "Annual Income (k$)", "Spending Score (1-100)", "Tenure"]
    assert {f: find_column(usual_names(f), header) for f in CUSTOMER_COLUMNS} == {
        "customer_id": "CustomerID", "gender": "Genre", "age": "Age",
        "income": "Annual Income (k$)", "spending": "Spending Score (1-100)",
    }
    assert find_column(usual_names("tenure"), header) == "Tenure"


def test_of_two_columns_that_read_alike_the_first() -> None:
    assert find_column(usual_names("age"), ["AGE", "age"]) == "AGE"
