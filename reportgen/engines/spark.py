"""The Spark engine (`--engine spark`, `pip install reportgen[spark]`): a session for the run, the
customers read and derived on Spark (engines/spark_read.py), and their rows kept there
(engines/spark_rows.py). Only aggregates and a bounded, seeded sample (clustering.fit_sample rows)
come back to the driver, so its memory does not grow with the number of customers; the analysis
(stages/) decides everything, as on one machine, and the engine executes it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, ReportgenError

if TYPE_CHECKING:
    from ..config import Settings
    from ..input_settings import InputSettings
    from .spark_rows import SparkRows


class SparkEngine:
    """One Spark session for a run: open it with `with`, then `rows()` reads and derives the customers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.spark: Any = None
        self._copies = ExitStack()  # UTF-8 copies of the input, removed when the session ends
        self.scratch: Path | None = None  # files the rows are exported to for the written files
        self._rows: SparkRows | None = None

    def __enter__(self) -> "SparkEngine":
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise ConfigError("The Spark engine is not installed.", "Install it with: pip install 'reportgen[spark]' (and Java 17 or 21).") from None
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # else Spark binds to the external interface
        # PySpark 4.3 warns about pandas 3 on every toPandas(); it only ever converts small results here
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        s = self.settings.spark
        try:
            self.spark = (
                SparkSession.builder.master(s.master)
                .appName("reportgen")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", str(s.shuffle_partitions))
                .config("spark.driver.memory", s.driver_memory)
                .getOrCreate()
            )
        except Exception as exc:  # PySparkRuntimeError JAVA_GATEWAY_EXITED and friends
            raise ReportgenError(
                f"Spark could not start ({type(exc).__name__}).",
                "Spark needs Java 17 or 21 on PATH (Debian: sudo apt-get install --no-install-recommends openjdk-17-jre-headless).",
            ) from None
        self.spark.sparkContext.setLogLevel("ERROR")
        self.scratch = Path(tempfile.mkdtemp(prefix="reportgen-spark-"))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.spark is not None:
            if self._rows is not None:
                self._rows.release()
            self.spark.stop()
            self.spark = None
        self._copies.close()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def rows(self, table: Any = None) -> SparkRows:
        """The customers read and derived on Spark (an order log aggregated per customer), kept there."""
        from . import spark_read
        from .spark_rows import SparkRows

        from ..input_settings import input_of

        given = input_of(self.settings)
        if given.transactions is not None or _is_order_log(given):
            frame, found = spark_read.orders(self.spark, given, self._copies)
            order = "customer_id"
        else:
            frame, found = spark_read.customers(self.spark, given, self._copies)
            order = "_line"
        assert self.scratch is not None
        self._rows = SparkRows(self.spark, frame, found, self.settings.clustering, order, self.scratch)
        return self._rows


def _is_order_log(settings: InputSettings) -> bool:
    from ..stages.load import kind

    return kind(settings) == "transactions"
