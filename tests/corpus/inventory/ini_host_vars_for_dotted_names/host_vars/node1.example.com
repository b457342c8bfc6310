from: noext
