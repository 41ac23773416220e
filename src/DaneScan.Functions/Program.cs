using DaneScan.Functions;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddDaneScanFunctions(builder.Configuration);

// The stage services (IRunEnumerator, IResolveStage, IProbeStage, IStatisticsQueries) are registered here
// once DaneScan.Pipeline and DaneScan.Storage provide them; StageRegistrationCheck stops the app until then.
await builder.Build().RunAsync().ConfigureAwait(false);
