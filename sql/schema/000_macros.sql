-- macros shared by normalization and views: CT.gov partial dates.
create schema if not exists core;

-- a CT.gov date string (yyyy, yyyy-MM, yyyy-MM-dd, yyyy-MM-ddTHH:mm) as a date: coarser precisions
-- take the first day of their month or year
create or replace macro core.partial_date(raw) as
    case
        when regexp_full_match(raw, '\d{4}-\d{2}-\d{2}(T.*)?') then try_strptime(left(raw, 10), '%Y-%m-%d')::date
        when regexp_full_match(raw, '\d{4}-\d{2}') then try_strptime(raw || '-01', '%Y-%m-%d')::date
        when regexp_full_match(raw, '\d{4}') then try_strptime(raw || '-01-01', '%Y-%m-%d')::date
    end;

create or replace macro core.date_precision(raw) as
    case
        when regexp_full_match(raw, '\d{4}-\d{2}-\d{2}(T.*)?') then 'day'
        when regexp_full_match(raw, '\d{4}-\d{2}') then 'month'
        when regexp_full_match(raw, '\d{4}') then 'year'
    end;
