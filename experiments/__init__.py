"""The paper's evaluation (Section IV) on our data: the runs, Table III and the results page."""
