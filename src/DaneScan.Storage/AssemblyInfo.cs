using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("DaneScan.Storage.Tests")]
