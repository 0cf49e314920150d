"""What leaves the tool as text: plans and commands on the console, the live views of a build,
tables, why a step runs, build receipts, and the guard that masks every line written."""
