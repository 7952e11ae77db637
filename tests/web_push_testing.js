// Runs web-push-testing (an independent Web Push service from npm that decrypts what
// it receives) on 127.0.0.1 only, for tests/test_push_interop.py:
//     node tests/web_push_testing.js <its package folder> <port>
// Its own launcher listens on every interface; this one wraps the same server.
const [packageDir, port] = process.argv.slice(2);
const TestingServer = require(packageDir + "/src/server.js");
const { PushApiModel } = require(packageDir + "/src/PushApiModel.js");

const server = new TestingServer(new PushApiModel(), Number(port));
const listen = server._app.listen.bind(server._app);
server._app.listen = (onPort, ready) => listen(onPort, "127.0.0.1", ready);
server.startServer();
