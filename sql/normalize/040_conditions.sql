-- reads: parsed
-- writes: core.conditions, core.keywords
-- one row per study × condition, and per study × keyword
insert into core.conditions by name
select
    nct_id,
    generate_subscripts(s.protocolSection.conditionsModule.conditions, 1)::integer as condition_idx,
    unnest(s.protocolSection.conditionsModule.conditions) as condition
from parsed;

insert into core.keywords by name
select
    nct_id,
    generate_subscripts(s.protocolSection.conditionsModule.keywords, 1)::integer as keyword_idx,
    unnest(s.protocolSection.conditionsModule.keywords) as keyword
from parsed;
