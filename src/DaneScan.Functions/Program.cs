using DaneScan.Fleet;
using DaneScan.Functions;
using DaneScan.Functions.Stages;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddDaneScanFunctions(builder.Configuration);

// The enumerate, resolve and probe stages, the statistics queries and the resolver's DNSSEC self-check at start-up.
builder.Services.AddDaneScanStages();

// DaneScan's metrics and traces to Application Insights, signed in with the managed identity.
builder.Services.AddDaneScanAzureMonitor(builder.Configuration);
await builder.Build().RunAsync().ConfigureAwait(false);
