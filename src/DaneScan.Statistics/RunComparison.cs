namespace DaneScan.Statistics;

/// <summary>How many domains moved from one state to another between two runs.</summary>
/// <param name="Transition">"From→To", for example "NotDane→Verified"; "Absent" stands for a domain not in that run.</param>
/// <param name="From">The state in the first run, or "Absent".</param>
/// <param name="To">The state in the second run, or "Absent".</param>
/// <param name="Domains">Domains with this transition.</param>
public sealed record TransitionCount(string Transition, string From, string To, long Domains);

/// <summary>Two runs compared domain by domain, in one view of their MX hosts.</summary>
/// <param name="RunA">The earlier run.</param>
/// <param name="RunB">The later run.</param>
/// <param name="View">The view the states are taken in (All: the headline's).</param>
/// <param name="DomainsA">Domains in the first run.</param>
/// <param name="DomainsB">Domains in the second run.</param>
/// <param name="Unchanged">Domains in both runs in the same state.</param>
/// <param name="Transitions">The domains that changed (or appeared, or went), by transition, most first then by name.</param>
public sealed record RunComparisonSummary(string RunA, string RunB, HostView View, long DomainsA, long DomainsB, long Unchanged, IReadOnlyList<TransitionCount> Transitions);

/// <summary>One page of the domains with one transition, in ordinal order.</summary>
/// <param name="Transition">"From→To".</param>
/// <param name="Page">1-based page number.</param>
/// <param name="PageSize">Domains per page.</param>
/// <param name="Domains">Domains with the transition (all pages).</param>
/// <param name="Pages">Pages in all.</param>
/// <param name="Items">This page's domains.</param>
public sealed record TransitionPage(string Transition, int Page, int PageSize, long Domains, int Pages, IReadOnlyList<string> Items);

/// <summary>
/// Compares two runs (docs/dane-rules.md §9: newly protected, broken, fixed, gone): each domain's
/// <see cref="DaneState"/> in the first run against the second. A domain in only one run has the transition
/// from or to <see cref="Absent"/>. Domain names compare case-insensitively. Memory: one entry per domain of
/// the first run and one per changed domain.
/// </summary>
public sealed class RunComparison
{
    public const string Absent = "Absent";
    public const char Arrow = '→';
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 10_000;

    private readonly Dictionary<string, List<string>> _changed;

    private RunComparison(RunComparisonSummary summary, Dictionary<string, List<string>> changed)
    {
        Summary = summary;
        _changed = changed;
    }

    public RunComparisonSummary Summary { get; }

    /// <summary>A run's domains as the statistics classify them (the counted verdict of each stored record), in store order.</summary>
    public static async IAsyncEnumerable<DomainClassification> ClassificationsAsync(
        Contracts.IResultStore store, string runId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        await foreach (var record in store.EnumerateDomainsAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            yield return StatisticsDefinitions.Classify(record.CountedVerdict());
        }
    }

    /// <summary>The transition key "From→To".</summary>
    public static string Key(string from, string to) => $"{from}{Arrow}{to}";

    /// <summary>Compares two runs' domain classifications (each domain once per run).</summary>
    public static async Task<RunComparison> CompareAsync(
        string runA, IAsyncEnumerable<DomainClassification> a, string runB, IAsyncEnumerable<DomainClassification> b,
        HostView view = HostView.All, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var first = new Dictionary<string, DaneState>(StringComparer.OrdinalIgnoreCase);
        await foreach (var c in a.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            first.TryAdd(c.Domain, c.In(view));
        }

        var changed = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        long unchanged = 0, domainsB = 0;
        void Change(string from, string to, string domain)
        {
            var key = Key(from, to);
            (changed.TryGetValue(key, out var list) ? list : changed[key] = []).Add(domain);
        }

        await foreach (var c in b.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (!seen.Add(c.Domain))
            {
                continue;
            }

            domainsB++;
            var to = c.In(view);
            if (!first.TryGetValue(c.Domain, out var from))
            {
                Change(Absent, to.ToString(), c.Domain);
            }
            else if (from == to)
            {
                unchanged++;
            }
            else
            {
                Change(from.ToString(), to.ToString(), c.Domain);
            }
        }

        foreach (var (domain, from) in first)
        {
            if (!seen.Contains(domain))
            {
                Change(from.ToString(), Absent, domain);
            }
        }

        foreach (var list in changed.Values)
        {
            list.Sort(StringComparer.Ordinal);
        }

        List<TransitionCount> transitions = [.. changed
            .Select(kv =>
            {
                var parts = kv.Key.Split(Arrow);
                return new TransitionCount(kv.Key, parts[0], parts[1], kv.Value.Count);
            })
            .OrderByDescending(t => t.Domains).ThenBy(t => t.Transition, StringComparer.Ordinal)];
        return new RunComparison(new RunComparisonSummary(runA, runB, view, first.Count, domainsB, unchanged, transitions), changed);
    }

    /// <summary>
    /// Parses a transition as a user writes it: "NotDane→Verified", "NotDane->Verified" or "notdane->verified";
    /// states are <see cref="DaneState"/> names or "Absent". Returns the canonical key, or null with a reason.
    /// </summary>
    public static string? ParseTransition(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Replace("->", Arrow.ToString(), StringComparison.Ordinal).Split(Arrow);
        problem = null;
        if (parts.Length != 2)
        {
            problem = $"'{text}' is not a transition: write FROM->TO, for example NotDane->Verified";
            return null;
        }

        string[] names = [.. Enum.GetNames<DaneState>(), Absent];
        string? Canonical(string s) => names.FirstOrDefault(n => string.Equals(n, s.Trim(), StringComparison.OrdinalIgnoreCase));
        var (from, to) = (Canonical(parts[0]), Canonical(parts[1]));
        if (from is null || to is null)
        {
            problem = $"'{(from is null ? parts[0] : parts[1]).Trim()}' is not a state (one of: {string.Join(", ", names)})";
            return null;
        }

        return Key(from, to);
    }

    /// <summary>Page <paramref name="page"/> (1-based) of the domains with a transition; a transition no domain had gives an empty page.</summary>
    public TransitionPage Domains(string transition, int page = 1, int pageSize = DefaultPageSize)
    {
        ArgumentNullException.ThrowIfNull(transition);
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, MaxPageSize);
        var all = _changed.GetValueOrDefault(transition) ?? [];
        var pages = (all.Count + pageSize - 1) / pageSize;
        var items = all.Skip((int)Math.Min(int.MaxValue, ((long)page - 1) * pageSize)).Take(pageSize).ToList();
        return new TransitionPage(transition, page, pageSize, all.Count, pages, items);
    }
}
