-- The raw layer as docs/contracts.md fixes it (owned by extractors/). Used by the dbt tests
-- to create empty raw tables when the real extractors are not the point of the test.
create schema if not exists raw_helpdesk;
create schema if not exists raw_schedule;
create schema if not exists raw_onec;
create schema if not exists raw_registry;
create schema if not exists raw_meta;

create table if not exists raw_meta.loads (
    load_id bigserial primary key, source text not null, entity text not null,
    started_at timestamptz not null default now(), finished_at timestamptz,
    cursor_before text, cursor_after text, rows_seen int, rows_inserted int,
    rows_rejected int, status text, error text
);

{% for schema, table, keys in [
    ('raw_helpdesk', 'issues', 'id bigint not null, updated_at timestamptz'),
    ('raw_helpdesk', 'status_history', 'id bigint not null, issue_id bigint, updated_at timestamptz'),
    ('raw_helpdesk', 'time_entries', 'id bigint not null, issue_id bigint, updated_at timestamptz'),
    ('raw_helpdesk', 'employees', 'id bigint not null'),
    ('raw_helpdesk', 'companies', 'id bigint not null'),
    ('raw_helpdesk', 'maintenance_entities', 'id bigint not null'),
    ('raw_helpdesk', 'equipments', 'id bigint not null'),
    ('raw_schedule', 'shifts', 'id text not null, updated_at timestamptz, deleted boolean'),
    ('raw_onec', 'employees', 'ref_key uuid not null, data_version text, deletion_mark boolean'),
    ('raw_onec', 'clients', 'ref_key uuid not null, data_version text, deletion_mark boolean'),
    ('raw_onec', 'contracts', 'ref_key uuid not null, data_version text, deletion_mark boolean'),
    ('raw_onec', 'sales', 'ref_key uuid not null, data_version text, deletion_mark boolean'),
    ('raw_onec', 'bonus_coefficients', 'period timestamp not null, code text not null'),
    ('raw_onec', 'points', 'period timestamp not null, work_type text not null'),
    ('raw_onec', 'duty_tariffs', 'period timestamp not null, shift_type text not null'),
    ('raw_onec', 'service_tariffs', 'period timestamp not null, work_type text not null'),
    ('raw_registry', 'sites', 'site_code text not null'),
    ('raw_registry', 'equipment', 'serial_number text not null'),
] %}
create table if not exists {{ schema }}.{{ table }} (
    {{ keys }},
    payload jsonb not null,
    _payload_hash text not null,
    _load_id bigint not null,
    _loaded_at timestamptz not null default now(),
    _vanished_at timestamptz
);
{% endfor %}

{% for schema in ['raw_helpdesk', 'raw_schedule', 'raw_onec', 'raw_registry'] %}
create table if not exists {{ schema }}.rejects (
    reject_id bigserial primary key, entity text not null, source_key text, reason text not null,
    raw_text text, {% if schema == 'raw_registry' %}sheet text, row_number int, column_name text,{% endif %}
    _load_id bigint, _loaded_at timestamptz not null default now()
);
{% endfor %}
