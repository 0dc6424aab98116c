"""The seed notebooks' pipeline as one script: the baseline the default briefing is timed against.

What the mall-segmentation notebooks this project started from do (../shared/seeds describes them),
in order, with the libraries reportgen already installs (pandas, scikit-learn, plotly + kaleido):
  1. pandas reads the mall CSV; info, describe, missing values, gender counts;
  2. EDA plots: a histogram each of age, income and spending score, the gender counts, a
     correlation heat map and the income x spending scatter;
  3. the elbow loop: KMeans(k, n_init=10) for k = 1..10 on income and spending, inertia plotted;
  4. silhouette scores for k = 2..10, plotted;
  5. the final KMeans (k = 5, the elbow's choice in the notebooks), cluster means per segment;
  6. the clusters as scatter plots (income x spending, age x spending), saved as images.
Every figure is saved as a PNG, as the notebooks show each one: the notebooks' 10 figures.

Images: one browser start per figure, as `fig.write_image` in a notebook does (kaleido 1.x starts a
browser for each call), but without the MathJax request to a CDN that plotly's write_image makes for
every image (plotly passes `pio.defaults.mathjax` on only when it is truthy, so it cannot turn it off;
offline that request fails or stalls, and the baseline would be slower than the work it stands for):
kaleido.calc_fig_sync with mathjax=False, which is write_image's own call. `--one-browser` keeps one browser for the whole script
(kaleido.start_sync_server), the least a careful author could pay; both are printed by
benchmarks/run_default.py --notebook, which times this script as a fresh process beside
`reportgen run`.

Usage: .venv/bin/python benchmarks/notebook.py [--data CSV] [--out DIR] [--one-browser]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "sample_customers.csv")
    parser.add_argument("--out", type=Path, help="folder for the images (default: a temporary one)")
    parser.add_argument("--one-browser", action="store_true", help="one browser for every image (kaleido's sync server)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="notebook-"))
    out.mkdir(parents=True, exist_ok=True)

    import kaleido
    import pandas as pd
    import plotly.express as px
    import plotly.graph_objects as go
    import plotly.io as pio
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    if args.one_browser:
        pio.defaults.headers = None
        kaleido.start_sync_server(mathjax=False)  # offline: no CDN request per image (TOOLCHAIN.md)

    def save(fig: go.Figure, name: str) -> None:
        if args.one_browser:
            fig.write_image(out / f"{name}.png", width=800, height=500)
        else:  # write_image's call, a browser per image, without the MathJax CDN request
            png = kaleido.calc_fig_sync(fig, opts={"format": "png", "width": 800, "height": 500}, kopts={"mathjax": False})
            (out / f"{name}.png").write_bytes(png)

    # 1. read and look
    df = pd.read_csv(args.data)
    with open(os.devnull, "w") as devnull:
        df.info(buf=devnull)
    df.describe()
    df.isnull().sum()
    gender = next(c for c in df.columns if c.lower() in ("gender", "genre"))
    income, spending, age = "Annual Income (k$)", "Spending Score (1-100)", "Age"
    counts = df[gender].value_counts()

    # 2. EDA
    for col in (age, income, spending):
        save(px.histogram(df, x=col, nbins=20, title=f"Distribution of {col}"), f"hist_{col.split()[0].lower()}")
    save(px.bar(x=counts.index, y=counts.values, title="Customers by gender"), "gender")
    corr = df[[age, income, spending]].corr()
    save(px.imshow(corr, text_auto=True, title="Correlation"), "correlation")
    save(px.scatter(df, x=income, y=spending, title="Income and spending"), "income_spending")

    # 3. elbow, 4. silhouette
    x = df[[income, spending]].to_numpy()
    inertia = [KMeans(n_clusters=k, n_init=10, random_state=42).fit(x).inertia_ for k in range(1, 11)]
    save(px.line(x=list(range(1, 11)), y=inertia, markers=True, title="Elbow method"), "elbow")
    scores = [silhouette_score(x, KMeans(n_clusters=k, n_init=10, random_state=42).fit_predict(x)) for k in range(2, 11)]
    save(px.line(x=list(range(2, 11)), y=scores, markers=True, title="Silhouette score"), "silhouette")

    # 5. final model, 6. the clusters
    model = KMeans(n_clusters=5, n_init=10, random_state=42).fit(x)
    df["Cluster"] = model.labels_.astype(str)
    df.groupby("Cluster")[[age, income, spending]].mean()
    save(px.scatter(df, x=income, y=spending, color="Cluster", title="Customer segments"), "clusters_income_spending")
    save(px.scatter(df, x=age, y=spending, color="Cluster", title="Segments by age"), "clusters_age_spending")
    if args.one_browser:
        kaleido.stop_sync_server()
    print(f"{len(list(out.glob('*.png')))} images in {out}")


if __name__ == "__main__":
    main()
