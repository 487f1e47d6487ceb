-- one row per landscape trial × (mechanism_class, target), with the trial's phase, status, indications
-- and sponsor: the dashboard's charts count from it (filters as on `trials`)
create or replace view main.landscape_rows as
select * from core.landscape_rows;
