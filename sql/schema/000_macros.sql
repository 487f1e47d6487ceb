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

-- the HTML entities CT.gov's history endpoints write (text of past versions comes as HTML)
create or replace macro core.html_unescape(t) as
    replace(replace(replace(replace(replace(replace(replace(replace(t,
        '&#x2F;', '/'), '&#x27;', ''''), '&#39;', ''''), '&quot;', '"'), '&lt;', '<'), '&gt;', '>'),
        '&nbsp;', ' '), '&amp;', '&');

-- text as a reader sees it, whichever way CT.gov sent it: HTML tags and entities (history versions,
-- sometimes escaped twice) and Markdown backslash escapes (API v2) removed, whitespace collapsed.
-- Change detection compares text in this form, so a version backfilled from history and the same
-- version fetched from the API compare equal.
create or replace macro core.plain_text(t) as
    nullif(trim(regexp_replace(
        regexp_replace(
            core.html_unescape(core.html_unescape(regexp_replace(t, '</?[A-Za-z][^>]*>', ' ', 'g'))),
            '\\([\\`*_{}\[\]()#+.!<>|~-])', '\1', 'g'),
        '\s+', ' ', 'g')), '');
