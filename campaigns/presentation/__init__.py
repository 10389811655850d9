"""What people read: the grid's rows as HTML, charts, the words for sendings, timelines and the
audit log, and files safe to open in a spreadsheet. Reads models and services; nothing below it
imports it."""
