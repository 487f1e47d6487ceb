-- one row per mechanism_class × target × phase × status_group × indication (landscape trials only):
-- main.landscape_as_of with no date, so a past landscape is computed exactly as today's
create or replace view main.landscape as
select * from main.landscape_as_of(null);
