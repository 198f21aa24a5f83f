-- Nothing to do on PostgreSQL (the SQLite store stopped indexing per row).
SELECT 1;
