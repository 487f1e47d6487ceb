-- reads: parsed
-- writes: core.trials
-- one row per study: the scalar fields of the parsed page into core.trials
insert into core.trials by name
with

source as (

    select
        nct_id,
        version_id,
        s.protocolSection.identificationModule as ident,
        s.protocolSection.statusModule as status,
        s.protocolSection.sponsorCollaboratorsModule as sponsors,
        s.protocolSection.designModule as design,
        s.protocolSection.eligibilityModule as eligibility,
        s.protocolSection.conditionsModule as conds,
        s.protocolSection.descriptionModule as descr,
        s.protocolSection.contactsLocationsModule as contacts,
        s.derivedSection.miscInfoModule as misc,
        s.hasResults as has_results
    from parsed

),

final as (

    select
        ----------  ids
        nct_id,
        version_id,
        ident.briefTitle as brief_title,
        ident.officialTitle as official_title,
        ident.acronym as acronym,
        ident.organization.fullName as organization,
        ident.organization.class as organization_class,
        ident.orgStudyIdInfo.id as org_study_id,
        ident.nctIdAliases as nct_id_aliases,

        ----------  status
        status.overallStatus as overall_status,
        status.lastKnownStatus as last_known_status,
        status.whyStopped as why_stopped,
        status.statusVerifiedDate as status_verified_date_raw,
        status.expandedAccessInfo.hasExpandedAccess as has_expanded_access,

        ----------  dates
        status.startDateStruct.date as start_date_raw,
        core.partial_date(status.startDateStruct.date) as start_date,
        core.date_precision(status.startDateStruct.date) as start_date_precision,
        status.startDateStruct.type as start_date_type,
        status.primaryCompletionDateStruct.date as primary_completion_date_raw,
        core.partial_date(status.primaryCompletionDateStruct.date) as primary_completion_date,
        core.date_precision(status.primaryCompletionDateStruct.date) as primary_completion_date_precision,
        status.primaryCompletionDateStruct.type as primary_completion_date_type,
        status.completionDateStruct.date as completion_date_raw,
        core.partial_date(status.completionDateStruct.date) as completion_date,
        core.date_precision(status.completionDateStruct.date) as completion_date_precision,
        status.completionDateStruct.type as completion_date_type,
        core.partial_date(status.studyFirstSubmitDate) as study_first_submit_date,
        core.partial_date(status.studyFirstPostDateStruct.date) as study_first_post_date,
        status.studyFirstPostDateStruct.type as study_first_post_date_type,
        core.partial_date(status.resultsFirstPostDateStruct.date) as results_first_post_date,
        core.partial_date(status.lastUpdateSubmitDate) as last_update_submit_date,
        core.partial_date(status.lastUpdatePostDateStruct.date) as last_update_post_date,
        status.lastUpdatePostDateStruct.type as last_update_post_date_type,

        ----------  design
        design.studyType as study_type,
        design.phases as phases,
        design.enrollmentInfo.count as enrollment,
        design.enrollmentInfo.type as enrollment_type,
        design.designInfo.allocation as allocation,
        design.designInfo.interventionModel as intervention_model,
        design.designInfo.primaryPurpose as primary_purpose,
        design.designInfo.maskingInfo.masking as masking,

        ----------  sponsor
        sponsors.leadSponsor.name as lead_sponsor,
        sponsors.leadSponsor.class as lead_sponsor_class,
        sponsors.responsibleParty.type as responsible_party_type,

        ----------  eligibility
        eligibility.sex as sex,
        eligibility.minimumAge as minimum_age,
        eligibility.maximumAge as maximum_age,
        eligibility.healthyVolunteers as healthy_volunteers,
        eligibility.stdAges as std_ages,

        ----------  text
        conds.conditions as conditions,
        conds.keywords as keywords,
        descr.briefSummary as brief_summary,

        ----------  derived
        coalesce(has_results, false) as has_results,
        core.partial_date(misc.versionHolder) as version_holder,
        coalesce(len(contacts.locations), 0)::integer as location_count
    from source

)

select * from final;
