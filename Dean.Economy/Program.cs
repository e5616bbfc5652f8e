using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Data;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDeanDatabase(typeof(Program).Assembly);
builder.AddDeanRedis();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapCallerApi();
app.Run();
