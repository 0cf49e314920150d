"""Text for people: plans and commands on the console, the live views of a build and the status
board of a matrix, tables, and the guard that masks every line written."""
