-- psql's describe commands, which query pg_catalog; run with -X -f.
\set VERBOSITY sqlstate
\dt
\dt public.mi*
\d mix
\d+ mix
