using System.Text.Json.Serialization;

namespace DaneScan.Storage.Export;

/// <summary>The version of the exported dataset's schema (docs/dataset.md). Bump it when a column changes meaning or type or is removed; columns added at the end keep it.</summary>
public static class DatasetSchema
{
    public const int Version = 1;

    /// <summary>Key of the Parquet file metadata entry that holds <see cref="Version"/>.</summary>
    public const string VersionMetadataKey = "danescan.dataset.version";

    /// <summary>Separator inside list-valued text columns.</summary>
    public const char ListSeparator = ';';
}

/// <summary>One row per destination domain of a run (docs/dataset.md, "domains").</summary>
public sealed class DomainRow
{
    [JsonPropertyName("schema_version")]
    public int SchemaVersion { get; set; } = DatasetSchema.Version;

    [JsonPropertyName("run_id")]
    public string RunId { get; set; } = "";

    [JsonPropertyName("domain")]
    public string Domain { get; set; } = "";

    [JsonPropertyName("list_source")]
    public string? ListSource { get; set; }

    [JsonPropertyName("list_rank")]
    public long? ListRank { get; set; }

    [JsonPropertyName("observed_utc")]
    public DateTime ObservedUtc { get; set; }

    [JsonPropertyName("trust_mode")]
    public string TrustMode { get; set; } = "";

    [JsonPropertyName("rules_version")]
    public string RulesVersion { get; set; } = "";

    [JsonPropertyName("mx_outcome")]
    public string MxOutcome { get; set; } = "";

    [JsonPropertyName("mx_status")]
    public string MxStatus { get; set; } = "";

    [JsonPropertyName("mx_secure")]
    public bool MxSecure { get; set; }

    [JsonPropertyName("primary_status")]
    public string PrimaryStatus { get; set; } = "";

    [JsonPropertyName("all_status")]
    public string AllStatus { get; set; } = "";

    [JsonPropertyName("mx_hosts")]
    public int MxHosts { get; set; }

    [JsonPropertyName("primary_hosts")]
    public int PrimaryHosts { get; set; }

    [JsonPropertyName("dane_hosts")]
    public int DaneHosts { get; set; }

    [JsonPropertyName("authenticated_hosts")]
    public int AuthenticatedHosts { get; set; }

    [JsonPropertyName("failing_hosts")]
    public int FailingHosts { get; set; }

    [JsonPropertyName("addresses")]
    public int Addresses { get; set; }

    [JsonPropertyName("host_outcomes")]
    public string HostOutcomes { get; set; } = "";

    [JsonPropertyName("reasons")]
    public string Reasons { get; set; } = "";

    [JsonPropertyName("rfc8460_results")]
    public string Rfc8460Results { get; set; } = "";

    [JsonPropertyName("findings")]
    public string Findings { get; set; } = "";

    // The definitions' columns (docs/dataset.md, "Definitions"), all from StatisticsDefinitions.Classify.

    [JsonPropertyName("mx_security")]
    public string MxSecurity { get; set; } = "";

    [JsonPropertyName("primary_state")]
    public string PrimaryState { get; set; } = "";

    [JsonPropertyName("all_state")]
    public string AllState { get; set; } = "";

    [JsonPropertyName("dane_protected")]
    public bool DaneProtected { get; set; }

    [JsonPropertyName("survey_signed")]
    public bool SurveySigned { get; set; }

    [JsonPropertyName("survey_protected")]
    public bool SurveyProtected { get; set; }
}

/// <summary>One row per probed (MX host, address) of a run (docs/dataset.md, "hosts").</summary>
public sealed class HostRow
{
    [JsonPropertyName("schema_version")]
    public int SchemaVersion { get; set; } = DatasetSchema.Version;

    [JsonPropertyName("run_id")]
    public string RunId { get; set; } = "";

    [JsonPropertyName("host")]
    public string Host { get; set; } = "";

    [JsonPropertyName("address")]
    public string Address { get; set; } = "";

    [JsonPropertyName("port")]
    public int Port { get; set; }

    [JsonPropertyName("domains_served")]
    public int DomainsServed { get; set; }

    [JsonPropertyName("tlsa_base")]
    public string? TlsaBase { get; set; }

    [JsonPropertyName("tlsa_outcome")]
    public string? TlsaOutcome { get; set; }

    [JsonPropertyName("tlsa_ttl")]
    public long? TlsaTtl { get; set; }

    [JsonPropertyName("tlsa_rrset")]
    public string TlsaRrset { get; set; } = "";

    [JsonPropertyName("tlsa_usable")]
    public int TlsaUsable { get; set; }

    [JsonPropertyName("probe_outcome")]
    public string ProbeOutcome { get; set; } = "";

    [JsonPropertyName("failed_stage")]
    public string? FailedStage { get; set; }

    [JsonPropertyName("sni")]
    public string? Sni { get; set; }

    [JsonPropertyName("starttls_offered")]
    public bool StartTlsOffered { get; set; }

    [JsonPropertyName("tls_protocol")]
    public string? TlsProtocol { get; set; }

    [JsonPropertyName("cipher_suite")]
    public string? CipherSuite { get; set; }

    [JsonPropertyName("leaf_key")]
    public string? LeafKey { get; set; }

    [JsonPropertyName("chain_length")]
    public int ChainLength { get; set; }

    [JsonPropertyName("leaf_sha256")]
    public string? LeafSha256 { get; set; }

    [JsonPropertyName("leaf_subject")]
    public string? LeafSubject { get; set; }

    [JsonPropertyName("leaf_issuer")]
    public string? LeafIssuer { get; set; }

    [JsonPropertyName("leaf_not_after_utc")]
    public DateTime? LeafNotAfterUtc { get; set; }

    [JsonPropertyName("leaf_dns_names")]
    public string LeafDnsNames { get; set; } = "";

    [JsonPropertyName("outcome")]
    public string? Outcome { get; set; }

    [JsonPropertyName("reason")]
    public string? Reason { get; set; }

    [JsonPropertyName("rfc8460_result")]
    public string? Rfc8460Result { get; set; }

    [JsonPropertyName("matched_record")]
    public string? MatchedRecord { get; set; }

    [JsonPropertyName("match_depth")]
    public int? MatchDepth { get; set; }

    [JsonPropertyName("detail")]
    public string? Detail { get; set; }
}
