using DaneScan.Fleet;
using DaneScan.Functions;
using DaneScan.Functions.Stages;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddDaneScanFunctions(builder.Configuration);

// The resolve and probe stages and the statistics queries. IRunEnumerator (lists from Blob Storage) is not
// implemented yet: StageRegistrationCheck stops the app naming it until it is registered here.
builder.Services.AddDaneScanStages();
await builder.Build().RunAsync().ConfigureAwait(false);
