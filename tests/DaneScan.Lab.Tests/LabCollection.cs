namespace DaneScan.Lab.Testing;

/// <summary>The collection every lab-using test class of DaneScan.Lab.Tests joins: one lab per test run.</summary>
[CollectionDefinition(Name)]
public sealed class LabCollection : ICollectionFixture<LabFixture>
{
    public const string Name = "lab";
}
